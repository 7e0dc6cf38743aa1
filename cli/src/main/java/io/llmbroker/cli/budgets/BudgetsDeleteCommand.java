package io.llmbroker.cli.budgets;

import io.llmbroker.cli.client.ClientOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker budgets delete ID}: writes the tombstone that removes a budget. */
@Command(name = "delete", mixinStandardHelpOptions = true,
    description = "Deletes a budget: it refuses and counts nothing from then on.")
final class BudgetsDeleteCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(index = "0", paramLabel = "ID", description = "The budget's id.")
  String id;

  @Override
  public Integer call() {
    BudgetStore store = new BudgetStore(client);
    if (!store.all().containsKey(id)) {
      throw new IllegalArgumentException("no budget '" + id + "' in " + store.topicName());
    }
    store.delete(id);
    spec.commandLine().getOut().printf("budget %s deleted from %s%n", id, store.topicName());
    return 0;
  }
}
