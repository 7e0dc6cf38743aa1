package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.BudgetUsage;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Adds each usage event (keyed by the budget it counts against) to that budget's period-to-date
 * state, marking its {@code llm.usage} partition and offset as counted, and forwards the new state and any alert it crossed; every {@code refreshInterval} of
 * wall-clock time it also publishes the states whose period ended (a new period starts at 0) or
 * whose budget's limit changed. Output values are {@link BudgetState} or
 * {@link io.llmbroker.avro.BudgetAlert}, keyed by budget id.
 *
 * <p>One instance per task, called from the task's thread only.
 */
final class BudgetSpendProcessor implements Processor<String, BudgetUsage, String, SpecificRecord> {

  private final String spendStore;
  private final String budgetsStore;
  private final String budgetsTopic;
  private final Deserializer<Budget> decoder;
  private final Duration refreshInterval;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, BudgetState> states;
  private BudgetLookup budgets;

  BudgetSpendProcessor(String spendStore, String budgetsStore, String budgetsTopic, Deserializer<Budget> decoder,
      Duration refreshInterval) {
    this.spendStore = spendStore;
    this.budgetsStore = budgetsStore;
    this.budgetsTopic = budgetsTopic;
    this.decoder = decoder;
    this.refreshInterval = refreshInterval;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.states = context.getStateStore(spendStore);
    this.budgets = new BudgetLookup(context.getStateStore(budgetsStore), budgetsTopic, decoder);
    context.schedule(refreshInterval, PunctuationType.WALL_CLOCK_TIME, this::refresh);
  }

  @Override
  public void process(Record<String, BudgetUsage> record) {
    String budgetId = record.key();
    Optional<Budget> budget = budgets.find(budgetId);
    if (budget.isEmpty()) {
      return;
    }
    BudgetUsage usage = record.value();
    BudgetSpend.add(budget.get(), states.get(budgetId), usage, context.currentSystemTimeMs())
        .ifPresent(step -> publish(budgetId, step, record.timestamp()));
  }

  private void refresh(long now) {
    // Collected first: the store is not written while it is iterated.
    Map<String, BudgetSpend.Step> changed = new LinkedHashMap<>();
    try (KeyValueIterator<String, BudgetState> all = states.all()) {
      while (all.hasNext()) {
        KeyValue<String, BudgetState> next = all.next();
        budgets.find(next.key)
            .flatMap(budget -> BudgetSpend.refresh(budget, next.value, now))
            .ifPresent(step -> changed.put(next.key, step));
      }
    }
    changed.forEach((budgetId, step) -> publish(budgetId, step, now));
  }

  private void publish(String budgetId, BudgetSpend.Step step, long timestamp) {
    states.put(budgetId, step.state());
    context.forward(new Record<>(budgetId, step.state(), timestamp));
    step.alerts().forEach(alert -> context.forward(new Record<>(budgetId, alert, timestamp)));
  }
}
