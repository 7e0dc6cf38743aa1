package io.llmbroker.cli.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.runtime.budgets.BudgetEntry;
import io.llmbroker.runtime.budgets.BudgetRules;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code llm-broker budgets list}: one line per budget. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the budgets.")
final class BudgetsListCommand implements Callable<Integer> {

  private static final String ROW = "%-24s %-5s %-6s %-14s %-12s %-7s %s%n";

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Override
  public Integer call() {
    Map<String, BudgetEntry> budgets = new BudgetStore(client).all();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(ROW, "BUDGET", "MODE", "PERIOD", "LIMIT", "ALERTS", "REPLAY", "SCOPE");
    budgets.forEach((id, entry) -> {
      if (entry instanceof BudgetEntry.Readable readable) {
        Budget b = readable.budget();
        out.printf(ROW, id, b.getMode(), b.getPeriod(), BudgetRules.usd(b.getLimitMicros()),
            b.getAlertThresholds().stream().map(String::valueOf).collect(Collectors.joining(",")),
            b.getIncludeReplay() ? "counted" : "-", scope(b.getScope()));
      } else {
        out.printf(ROW, id, "-", "-", "-", "-", "-", "unreadable: " + ((BudgetEntry.Unreadable) entry).reason());
      }
    });
    return 0;
  }

  /** {@code team=search app=ranker}: the scope's fields that are set. */
  static String scope(BudgetScope scope) {
    List<String> parts = new ArrayList<>();
    if (scope.getTeam() != null) {
      parts.add("team=" + scope.getTeam());
    }
    if (scope.getApp() != null) {
      parts.add("app=" + scope.getApp());
    }
    if (scope.getCustomer() != null) {
      parts.add("customer=" + scope.getCustomer());
    }
    if (scope.getModel() != null) {
      parts.add("model=" + scope.getModel());
    }
    return String.join(" ", parts);
  }
}
