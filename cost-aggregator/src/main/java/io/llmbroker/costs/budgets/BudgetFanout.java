package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.runtime.budgets.BudgetRules;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Forwards a usage event once per budget it counts against, keyed by budget id: every readable
 * budget whose scope covers its team, app, customer and served model ({@code model} or
 * {@code provider/model}), replays only where the budget includes them. Usage that cost nothing
 * is not forwarded. One instance per task.
 */
final class BudgetFanout implements Processor<String, UsageEvent, String, UsageEvent> {

  private final String budgetsStore;
  private final String budgetsTopic;
  private final Deserializer<Budget> decoder;
  private ProcessorContext<String, UsageEvent> context;
  private BudgetLookup budgets;

  BudgetFanout(String budgetsStore, String budgetsTopic, Deserializer<Budget> decoder) {
    this.budgetsStore = budgetsStore;
    this.budgetsTopic = budgetsTopic;
    this.decoder = decoder;
  }

  @Override
  public void init(ProcessorContext<String, UsageEvent> context) {
    this.context = context;
    this.budgets = new BudgetLookup(context.getStateStore(budgetsStore), budgetsTopic, decoder);
  }

  @Override
  public void process(Record<String, UsageEvent> record) {
    UsageEvent usage = record.value();
    if (usage.getCostMicros() <= 0) {
      return;
    }
    List<String> models = List.of(usage.getModel(), usage.getProvider() + "/" + usage.getModel());
    for (Budget budget : budgets.all()) {
      if (BudgetRules.covers(budget, usage.getTeam(), usage.getApp(), usage.getCustomer(), models, usage.getTags())) {
        context.forward(record.withKey(budget.getId()));
      }
    }
  }
}
