package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.cli.client.ClientOptions;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker apps show}: one app's policy and keys (public halves only exist). */
@Command(name = "show", mixinStandardHelpOptions = true, description = "Shows one app's policy and keys.")
final class AppsShowCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(index = "0", paramLabel = "APP")
  String id;

  @Override
  public Integer call() {
    App app = new AppStore(client).get(id);
    PrintWriter out = spec.commandLine().getOut();
    out.println("app:              " + app.getId());
    out.println("team:             " + app.getTeam());
    out.println("state:            " + (app.getRevokedAt() == null ? "active" : "revoked " + Instant.ofEpochMilli(app.getRevokedAt())));
    out.println("models:           " + String.join(", ", app.getModels()));
    out.println("max-priority:     " + app.getMaxPriority());
    out.println("max-tokens:       " + (app.getMaxTokens() == null ? "-" : app.getMaxTokens()));
    out.println("default-customer: " + (app.getDefaultCustomer() == null ? "-" : app.getDefaultCustomer()));
    out.println("keys:");
    for (AppKey key : app.getKeys()) {
      out.println("  " + key.getId() + "  created " + Instant.ofEpochMilli(key.getCreatedAt())
          + (key.getRevokedAt() == null ? "" : "  revoked " + Instant.ofEpochMilli(key.getRevokedAt())));
    }
    return 0;
  }
}
