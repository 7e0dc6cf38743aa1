package io.llmbroker.cli.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.runtime.budgets.BudgetRules;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker budgets set ID ...}: creates or replaces one budget. */
@Command(name = "set", mixinStandardHelpOptions = true,
    description = "Creates or replaces a budget. Its scope is every option of --team, --app, --customer and --model given"
        + " (at least one of the first three).")
final class BudgetsSetCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(index = "0", paramLabel = "ID", description = "The budget's id.")
  String id;

  @Option(names = "--team", description = "Covers this team's requests.")
  String team;

  @Option(names = "--app", description = "Covers this app's requests.")
  String app;

  @Option(names = "--customer", description = "Covers requests attributed to this customer.")
  String customer;

  @Option(names = "--model", description = "Covers only this served model (gpt-4o-mini, or provider/model).")
  String model;

  @Option(names = "--limit-usd", required = true, paramLabel = "USD", description = "The limit per period, e.g. 25.00.")
  BigDecimal limitUsd;

  @Option(names = "--period", defaultValue = "MONTH", description = "DAY or MONTH, calendar-aligned in UTC (default: ${DEFAULT-VALUE}).")
  BudgetPeriod period;

  @Option(names = "--mode", defaultValue = "SOFT", description = "HARD refuses requests once spent, SOFT only alerts (default: ${DEFAULT-VALUE}).")
  BudgetMode mode;

  @Option(names = "--alerts", split = ",", paramLabel = "PERCENT", defaultValue = "50,80,100",
      description = "Alert thresholds in percent of the limit (default: ${DEFAULT-VALUE}).")
  List<Integer> alerts;

  @Option(names = "--include-replay", description = "Count replayed traffic (tagged llm.replay) too.")
  boolean includeReplay;

  @Override
  public Integer call() {
    BigDecimal micros = limitUsd.movePointRight(6);
    if (micros.signum() <= 0 || micros.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException("--limit-usd must be a positive amount with at most 6 decimals: " + limitUsd);
    }
    Budget budget = Budget.newBuilder()
        .setId(id)
        .setScope(BudgetScope.newBuilder().setTeam(team).setApp(app).setCustomer(customer).setModel(model).build())
        .setPeriod(period)
        .setMode(mode)
        .setLimitMicros(micros.longValueExact())
        .setAlertThresholds(alerts)
        .setIncludeReplay(includeReplay)
        .setUpdatedAt(System.currentTimeMillis())
        .build();
    BudgetRules.problem(id, budget).ifPresent(problem -> {
      throw new IllegalArgumentException("budget '" + id + "' not written: " + problem
          + (problem.startsWith("scope") ? " (give --team, --app or --customer)" : ""));
    });
    BudgetStore store = new BudgetStore(client);
    store.put(budget);
    spec.commandLine().getOut().printf("budget %s set on %s: %s %s per %s%n", id, store.topicName(), mode,
        BudgetRules.usd(budget.getLimitMicros()), period);
    return 0;
  }
}
