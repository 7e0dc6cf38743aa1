package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.VirtualKey;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.runtime.apps.AppEntry;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code llm-broker keys list}: one line per virtual key (never the token: it is not stored). */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the gateway keys, of one app or all.")
final class KeysListCommand implements Callable<Integer> {

  private static final String ROW = "%-24s %-16s %-8s %-16s %-12s %-24s %s%n";

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Option(names = "--app", description = "Only this app's keys.")
  String appId;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    long now = System.currentTimeMillis();
    out.printf(ROW, "APP", "KEY", "STATE", "CUSTOMER", "PRIORITY", "CREATED", "EXPIRES");
    new AppStore(client).all().forEach((id, entry) -> {
      if (entry instanceof AppEntry.Registered registered && (appId == null || appId.equals(id))) {
        App app = registered.app();
        for (VirtualKey k : app.getVirtualKeys()) {
          out.printf(ROW, id, k.getId(), state(app, k, now), k.getCustomer() == null ? "-" : k.getCustomer(),
              k.getPriority() == null ? "-" : k.getPriority(), Instant.ofEpochMilli(k.getCreatedAt()),
              k.getExpiresAt() == null ? "never" : Instant.ofEpochMilli(k.getExpiresAt()));
        }
      }
    });
    return 0;
  }

  private static String state(App app, VirtualKey key, long now) {
    if (key.getRevokedAt() != null || app.getRevokedAt() != null) {
      return "revoked";
    }
    return key.getExpiresAt() != null && key.getExpiresAt() <= now ? "expired" : "active";
  }
}
