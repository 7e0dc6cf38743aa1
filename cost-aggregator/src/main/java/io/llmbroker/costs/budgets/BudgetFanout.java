package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.runtime.budgets.BudgetRules;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Forwards a usage event once per budget it counts against, keyed by budget id: every readable
 * budget whose scope covers its team, app, customer and served model ({@code model} or
 * {@code provider/model}), replays only where the budget includes them. Usage that cost nothing
 * is not forwarded. Each copy carries the partition and offset it was read at in {@code llm.usage}
 * (this processor runs in the sub-topology that reads it), so the budget's state can say which
 * usage it counts. One instance per task.
 */
final class BudgetFanout implements Processor<String, UsageEvent, String, BudgetUsage> {

  private final String budgetsStore;
  private final String budgetsTopic;
  private final Deserializer<Budget> decoder;
  private ProcessorContext<String, BudgetUsage> context;
  private BudgetLookup budgets;

  BudgetFanout(String budgetsStore, String budgetsTopic, Deserializer<Budget> decoder) {
    this.budgetsStore = budgetsStore;
    this.budgetsTopic = budgetsTopic;
    this.decoder = decoder;
  }

  @Override
  public void init(ProcessorContext<String, BudgetUsage> context) {
    this.context = context;
    this.budgets = new BudgetLookup(context.getStateStore(budgetsStore), budgetsTopic, decoder);
  }

  @Override
  public void process(Record<String, UsageEvent> record) {
    UsageEvent usage = record.value();
    BudgetUsage located = null;
    for (Budget budget : budgets.all()) {
      if (BudgetRules.countsAgainst(budget, usage)) {
        if (located == null) {
          RecordMetadata read = context.recordMetadata().orElseThrow();
          located = BudgetUsage.newBuilder()
              .setUsage(usage).setUsagePartition(read.partition()).setUsageOffset(read.offset()).build();
        }
        context.forward(record.withKey(budget.getId()).withValue(located));
      }
    }
  }
}
