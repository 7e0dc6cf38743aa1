package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetAlert;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.BudgetUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Duration;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The budgets part of the cost aggregator's topology, fed by its de-duplicated usage:
 *
 * <pre>
 * llm.budgets → global store {@value #BUDGETS_STORE} (raw records)
 * usage (each request id once) → one copy per covering budget, with its llm.usage partition and offset
 *   (key: budget id, repartition "by-budget")
 *   → period-to-date spend (store {@value #SPEND_STORE}) → llm.budget-state, llm.budget-alerts
 * </pre>
 *
 * It runs in the rollups' Streams application, so a usage event counts once in the budgets too
 * ({@code exactly_once_v2}: the spend store, its changelog, the state and the alerts commit together).
 */
public final class BudgetTopology {

  public static final String BUDGETS_STORE = "budgets";
  public static final String SPEND_STORE = "budget-spend";

  /**
   * How often (wall-clock) states whose period ended or whose budget changed are republished.
   * Workers start a new period at 0 by their own clock, so this only bounds how stale
   * {@code llm.budget-state} looks to readers such as {@code budgets status}.
   */
  static final Duration REFRESH_INTERVAL = Duration.ofSeconds(30);

  private BudgetTopology() {}

  /**
   * Adds the budget nodes to {@code builder}.
   *
   * @param usage usage events, each request id once
   */
  public static void addTo(StreamsBuilder builder, KStream<String, UsageEvent> usage, Topics topics, AvroSerdes serdes) {
    String budgetsTopic = topics.budgets().name();
    Deserializer<Budget> decoder = serdes.serde(Budget.class).deserializer();
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUDGETS_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled(),
        budgetsTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("budgets"),
        () -> new BudgetsStoreUpdater(BUDGETS_STORE, budgetsTopic, decoder));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SPEND_STORE), Serdes.String(),
        serdes.serde(BudgetState.class)));

    usage
        .process(() -> new BudgetFanout(BUDGETS_STORE, budgetsTopic, decoder), Named.as("usage-per-budget"))
        .repartition(Repartitioned.with(Serdes.String(), serdes.serde(BudgetUsage.class)).withName("by-budget"))
        .process(() -> new BudgetSpendProcessor(SPEND_STORE, BUDGETS_STORE, budgetsTopic, decoder, REFRESH_INTERVAL),
            Named.as("budget-spend"), SPEND_STORE)
        .split(Named.as("budget-"))
        .branch((id, value) -> value instanceof BudgetState, Branched.withConsumer(states -> states
            .mapValues(value -> (BudgetState) value, Named.as("as-state"))
            .to(topics.budgetState().name(), Produced.with(Serdes.String(), serdes.serde(BudgetState.class))
                .withName("publish-budget-state")), "state"))
        .defaultBranch(Branched.withConsumer(alerts -> alerts
            .mapValues(value -> (BudgetAlert) value, Named.as("as-alert"))
            .to(topics.budgetAlerts().name(), Produced.with(Serdes.String(), serdes.serde(BudgetAlert.class))
                .withName("publish-budget-alerts")), "alerts"));
  }
}
