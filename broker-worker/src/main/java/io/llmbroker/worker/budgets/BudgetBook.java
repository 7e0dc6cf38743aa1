package io.llmbroker.worker.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.runtime.budgets.BudgetEntry;
import io.llmbroker.runtime.follow.TopicFollower;
import io.llmbroker.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code llm.budgets} and {@code llm.budget-state} as this worker sees them: both read to their
 * end before {@link #start} returns (so before the worker is ready), then followed.
 *
 * <p>A budget record that cannot be read is logged with its key ({@code event=budget_record_unreadable}),
 * counted by the gauge {@code llm_broker_worker_budgets_unreadable}, and refuses nothing. A state
 * record that cannot be read is logged ({@code event=budget_state_unreadable}), counted by
 * {@code llm_broker_worker_budget_states_unreadable_total}, and the last readable state stays.
 * A tombstone removes its key. Thread-safe.
 */
public final class BudgetBook implements BudgetView, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BudgetBook.class);

  private final String budgetsTopic;
  private final String stateTopic;
  private final Deserializer<Budget> budgetDecoder;
  private final Deserializer<BudgetState> stateDecoder;
  private final Map<String, BudgetEntry> budgets = new ConcurrentHashMap<>();
  private final Map<String, BudgetState> states = new ConcurrentHashMap<>();
  private final Counter unreadableStates;
  private TopicFollower follower;

  BudgetBook(Topics topics, Deserializer<Budget> budgetDecoder, Deserializer<BudgetState> stateDecoder,
      MeterRegistry meters) {
    this.budgetsTopic = topics.budgets().name();
    this.stateTopic = topics.budgetState().name();
    this.budgetDecoder = budgetDecoder;
    this.stateDecoder = stateDecoder;
    Gauge.builder("llm_broker_worker_budgets_unreadable", budgets,
            b -> b.values().stream().filter(BudgetEntry.Unreadable.class::isInstance).count())
        .description("Budget records that cannot be read: they refuse nothing").register(meters);
    this.unreadableStates = Counter.builder("llm_broker_worker_budget_states_unreadable")
        .description("Budget state records that could not be read").register(meters);
  }

  /**
   * Reads both topics to their end and follows them.
   *
   * @throws IllegalStateException when a topic does not exist or is not read within {@code timeout}
   */
  public static BudgetBook start(Map<String, Object> kafka, String clientId, Topics topics,
      Deserializer<Budget> budgetDecoder, Deserializer<BudgetState> stateDecoder, MeterRegistry meters,
      Duration timeout) {
    BudgetBook book = new BudgetBook(topics, budgetDecoder, stateDecoder, meters);
    book.follower = TopicFollower.start(kafka, clientId, List.of(book.budgetsTopic, book.stateTopic), book::apply,
        timeout, "budgets-" + clientId);
    log.info("event=budgets_loaded budgets={} states={}", book.budgets.size(), book.states.size());
    return book;
  }

  void apply(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      log.error("event=budget_record_unreadable topic={} partition={} offset={} reason=\"record has no key\"",
          record.topic(), record.partition(), record.offset());
      return;
    }
    String key = new String(record.key(), StandardCharsets.UTF_8);
    if (record.topic().equals(budgetsTopic)) {
      applyBudget(key, record);
    } else if (record.topic().equals(stateTopic)) {
      applyState(key, record);
    }
  }

  private void applyBudget(String key, ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      budgets.remove(key);
      return;
    }
    BudgetEntry entry = BudgetEntry.read(key, record.value(), record.topic(), budgetDecoder);
    if (entry instanceof BudgetEntry.Unreadable unreadable) {
      log.error("event=budget_record_unreadable topic={} key=\"{}\" offset={} reason=\"{}\" effect=\"refuses nothing\"",
          record.topic(), key, record.offset(), unreadable.reason());
    }
    budgets.put(key, entry);
  }

  private void applyState(String key, ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      states.remove(key);
      return;
    }
    try {
      BudgetState state = stateDecoder.deserialize(record.topic(), record.value());
      if (!key.equals(state.getBudgetId())) {
        throw new IllegalArgumentException("record budget_id '" + state.getBudgetId() + "' differs from its key");
      }
      states.put(key, state);
    } catch (RuntimeException e) {
      unreadableStates.increment();
      log.error("event=budget_state_unreadable topic={} key=\"{}\" offset={} reason=\"{}\" effect=\"last state kept\"",
          record.topic(), key, record.offset(), e.getMessage());
    }
  }

  @Override
  public Collection<Budget> budgets() {
    return budgets.values().stream()
        .filter(BudgetEntry.Readable.class::isInstance)
        .map(e -> ((BudgetEntry.Readable) e).budget())
        .toList();
  }

  @Override
  public Optional<BudgetState> state(String budgetId) {
    return Optional.ofNullable(states.get(budgetId));
  }

  @Override
  public void close() {
    if (follower != null) {
      follower.close();
    }
  }
}
