package io.llmbroker.cli.budgets;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code llm-broker budgets set|list|status|delete}: spending limits on {@code llm.budgets}. */
@Command(name = "budgets", mixinStandardHelpOptions = true,
    description = {"Manages budgets (the compacted topic llm.budgets): a limit per day or calendar month (UTC) for a "
        + "team, an app or a customer, optionally for one model. HARD budgets refuse requests once spent; SOFT ones "
        + "only alert. Workers follow llm.budgets while they run; the cost aggregator publishes each budget's spend."},
    subcommands = {BudgetsSetCommand.class, BudgetsListCommand.class, BudgetsStatusCommand.class,
        BudgetsDeleteCommand.class})
public final class BudgetsCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
