package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.runtime.apps.AppEntry;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code llm-broker apps list}: one line per app. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the registered apps.")
final class AppsListCommand implements Callable<Integer> {

  private static final String ROW = "%-24s %-16s %-10s %-14s %-11s %-5s %s%n";

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Override
  public Integer call() {
    Map<String, AppEntry> apps = new AppStore(client).all();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(ROW, "APP", "TEAM", "STATE", "MAX-PRIORITY", "MAX-TOKENS", "KEYS", "MODELS");
    apps.forEach((id, entry) -> {
      if (entry instanceof AppEntry.Registered registered) {
        App app = registered.app();
        long active = registered.keys().values().stream().filter(k -> !k.revoked()).count();
        out.printf(ROW, id, app.getTeam(), app.getRevokedAt() == null ? "active" : "revoked", app.getMaxPriority(),
            app.getMaxTokens() == null ? "-" : app.getMaxTokens(), active, String.join(",", app.getModels()));
      } else {
        out.printf(ROW, id, "-", "unreadable", "-", "-", "-", ((AppEntry.Unreadable) entry).reason());
      }
    });
    return 0;
  }
}
