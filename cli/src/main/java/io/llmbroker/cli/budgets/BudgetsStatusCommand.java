package io.llmbroker.cli.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.runtime.budgets.BudgetEntry;
import io.llmbroker.runtime.budgets.BudgetRules;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code llm-broker budgets status}: each budget's spend this period as the cost aggregator last
 * published it on {@code llm.budget-state}; needs no running aggregator.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Shows each budget's spend this period, limit, percentage, state and when it resets, as last published"
        + " by the cost aggregator on llm.budget-state.")
final class BudgetsStatusCommand implements Callable<Integer> {

  private static final String ROW = "%-24s %-5s %-14s %-14s %-7s %-10s %s%n";

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Override
  public Integer call() {
    BudgetStore store = new BudgetStore(client);
    Map<String, BudgetEntry> budgets = store.all();
    Map<String, BudgetState> states = store.states();
    long now = System.currentTimeMillis();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(ROW, "BUDGET", "MODE", "SPENT", "LIMIT", "USED", "STATE", "RESETS-AT");
    budgets.forEach((id, entry) -> {
      if (!(entry instanceof BudgetEntry.Readable readable)) {
        out.printf(ROW, id, "-", "-", "-", "-", "UNREADABLE", "-");
        return;
      }
      Budget budget = readable.budget();
      BudgetRules.Window period = BudgetRules.window(budget.getPeriod(), now);
      BudgetState state = states.get(id);
      // A state of an earlier period says nothing about this one: a new period starts at zero.
      long spent = state != null && state.getPeriodStart() == period.start() ? state.getSpentMicros() : 0;
      out.printf(ROW, id, budget.getMode(), BudgetRules.usd(spent), BudgetRules.usd(budget.getLimitMicros()),
          String.format(Locale.ROOT, "%.1f%%", BudgetRules.percent(spent, budget.getLimitMicros())),
          BudgetRules.status(budget, spent), Instant.ofEpochMilli(period.end()));
    });
    return 0;
  }
}
