package io.llmbroker.costs.budgets;

import static io.llmbroker.costs.support.Usage.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetAlert;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.BudgetStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.topology.CostTopology;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BudgetTopologyTest {

  private static final Instant DAY_ONE = Instant.parse("2026-11-23T10:00:00Z");
  private static final Instant DAY_TWO = Instant.parse("2026-11-24T10:00:00Z");

  @TempDir Path stateDir;

  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestInputTopic<String, UsageEvent> usage;
  private TestInputTopic<String, byte[]> budgets;
  private TestOutputTopic<String, BudgetState> states;
  private TestOutputTopic<String, BudgetAlert> alerts;

  @BeforeEach
  void startDriver() {
    CostAggregatorConfig config = CostAggregatorConfig.parse("""
        kafka: {bootstrap.servers: "unused:9092"}
        streams: {state-dir: "%s"}
        """.formatted(stateDir), Map.of());
    driver = new TopologyTestDriver(CostTopology.topology(topics, serdes, config.rollup()), config.streamsProperties());
    usage = driver.createInputTopic(topics.usage().name(), new StringSerializer(), serdes.serde(UsageEvent.class).serializer());
    budgets = driver.createInputTopic(topics.budgets().name(), new StringSerializer(), new ByteArraySerializer());
    states = driver.createOutputTopic(topics.budgetState().name(), new StringDeserializer(),
        serdes.serde(BudgetState.class).deserializer());
    alerts = driver.createOutputTopic(topics.budgetAlerts().name(), new StringDeserializer(),
        serdes.serde(BudgetAlert.class).deserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void sumsSpendOfItsTeamPerDayAndMarksItExhaustedAtTheLimit() {
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 4_000, DAY_ONE));
    usage.pipeInput("r2", event("r2", "ads", "gpt-4o", 9_000, DAY_ONE));
    usage.pipeInput("r3", event("r3", "search", "gpt-4o", 6_000, DAY_ONE.plusSeconds(60)));

    List<BudgetState> published = states.readValuesToList();
    assertThat(published).extracting(BudgetState::getSpentMicros).containsExactly(4_000L, 10_000L);
    BudgetState last = published.get(1);
    assertThat(last.getState()).isEqualTo(BudgetStatus.EXHAUSTED);
    assertThat(last.getPercent()).isEqualTo(100.0);
    assertThat(last.getPeriodStart()).isEqualTo(Instant.parse("2026-11-23T00:00:00Z").toEpochMilli());
    assertThat(last.getPeriodEnd()).isEqualTo(Instant.parse("2026-11-24T00:00:00Z").toEpochMilli());
  }

  @Test
  void eachStateNamesTheHighestUsageOffsetItCountsForItsBudget() {
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 1_000, DAY_ONE));
    usage.pipeInput("r2", event("r2", "ads", "gpt-4o", 1_000, DAY_ONE));
    usage.pipeInput("r3", event("r3", "search", "gpt-4o", 1_000, DAY_ONE));

    assertThat(states.readValuesToList()).extracting(BudgetState::getCountedUsageOffsets)
        .containsExactly(Map.of("0", 0L), Map.of("0", 2L));
  }

  @Test
  void alertsEachThresholdOncePerPeriod() {
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 5_500, DAY_ONE));
    usage.pipeInput("r2", event("r2", "search", "gpt-4o", 500, DAY_ONE));
    usage.pipeInput("r3", event("r3", "search", "gpt-4o", 3_000, DAY_ONE));
    usage.pipeInput("r4", event("r4", "search", "gpt-4o", 9_000, DAY_ONE));
    usage.pipeInput("r5", event("r5", "search", "gpt-4o", 6_000, DAY_TWO));

    List<BudgetAlert> crossed = alerts.readValuesToList();
    assertThat(crossed).extracting(BudgetAlert::getThreshold).containsExactly(50, 80, 100, 50);
    assertThat(crossed.get(3).getPeriodStart()).isEqualTo(Instant.parse("2026-11-24T00:00:00Z").toEpochMilli());
  }

  @Test
  void countsADuplicatedRequestOnce() {
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 3_000, DAY_ONE));
    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 3_000, DAY_ONE));

    assertThat(states.readValuesToList()).extracting(BudgetState::getSpentMicros).containsExactly(3_000L);
  }

  @Test
  void countsReplayedTrafficOnlyWhereTheBudgetIncludesIt() {
    setBudget(budget("plain", BudgetScope.newBuilder().setTeam("search").build(), 10_000));
    setBudget(Budget.newBuilder(budget("with-replay", BudgetScope.newBuilder().setTeam("search").build(), 10_000))
        .setIncludeReplay(true).build());

    UsageEvent replayed = event("r1", "search", "gpt-4o", 2_000, DAY_ONE);
    replayed.setTags(Map.of("llm.replay", "run-7"));
    usage.pipeInput("r1", replayed);

    assertThat(states.readKeyValuesToMap()).containsOnlyKeys("with-replay");
  }

  @Test
  void aBudgetOnOneModelCountsOnlyThatModel() {
    setBudget(budget("search-gpt4o", BudgetScope.newBuilder().setTeam("search").setModel("openai/gpt-4o").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 1_000, DAY_ONE));
    usage.pipeInput("r2", event("r2", "search", "gpt-4o-mini", 2_000, DAY_ONE));

    assertThat(states.readValuesToList()).extracting(BudgetState::getSpentMicros).containsExactly(1_000L);
  }

  @Test
  void lateUsageOfAnEndedPeriodDoesNotReopenIt() {
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 1_000, DAY_TWO));
    usage.pipeInput("r2", event("r2", "search", "gpt-4o", 2_000, DAY_ONE));
    usage.pipeInput("r3", event("r3", "search", "gpt-4o", 3_000, DAY_TWO));

    assertThat(states.readValuesToList()).extracting(BudgetState::getSpentMicros).containsExactly(1_000L, 4_000L);
  }

  @Test
  void aMalformedBudgetRecordCountsNothingAndTheOthersStillCount() {
    budgets.pipeInput("broken", "not avro".getBytes(StandardCharsets.UTF_8));
    setBudget(budget("no-scope", BudgetScope.newBuilder().build(), 10_000));
    budgets.pipeInput(null, "no key".getBytes(StandardCharsets.UTF_8));
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 1_000, DAY_ONE));

    assertThat(states.readKeyValuesToMap()).containsOnlyKeys("search-daily");
  }

  @Test
  void aBudgetChangedAfterUsageCountsUnderItsNewScope() {
    setBudget(budget("b", BudgetScope.newBuilder().setTeam("search").build(), 100_000));
    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 4_000, DAY_ONE));
    setBudget(budget("b", BudgetScope.newBuilder().setTeam("ads").build(), 100_000));

    usage.pipeInput("r2", event("r2", "search", "gpt-4o", 9_000, DAY_ONE.plusSeconds(60)));
    usage.pipeInput("r3", event("r3", "ads", "gpt-4o", 6_000, DAY_ONE.plusSeconds(120)));

    assertThat(states.readValuesToList()).extracting(BudgetState::getSpentMicros).containsExactly(4_000L, 10_000L);
  }

  @Test
  void aDeletedBudgetCountsNothing() {
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), 10_000));
    budgets.pipeInput("search-daily", (byte[]) null);

    usage.pipeInput("r1", event("r1", "search", "gpt-4o", 1_000, DAY_ONE));

    assertThat(states.isEmpty()).isTrue();
  }

  static Budget budget(String id, BudgetScope scope, long limitMicros) {
    return Budget.newBuilder().setId(id).setScope(scope).setPeriod(BudgetPeriod.DAY).setLimitMicros(limitMicros)
        .setMode(BudgetMode.HARD).build();
  }

  private void setBudget(Budget budget) {
    budgets.pipeInput(budget.getId(), serdes.serde(Budget.class).serializer().serialize(topics.budgets().name(), budget));
  }
}
