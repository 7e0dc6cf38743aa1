package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.cli.client.ClientOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker apps set}: changes an app's policy or adds a key; what is not named stays. */
@Command(name = "set", mixinStandardHelpOptions = true,
    description = "Changes an app's policy, or adds a signing key (to rotate: add, deploy, then revoke the old one).")
final class AppsSetCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Mixin
  PolicyOptions policy;

  @Parameters(index = "0", paramLabel = "APP")
  String id;

  @Option(names = "--new-key", description = "Add a new signing key and print its private half once.")
  boolean newKey;

  @Override
  public Integer call() {
    AppStore store = new AppStore(client);
    App current = store.get(id);
    long now = System.currentTimeMillis();
    App.Builder app = App.newBuilder(current).setUpdatedAt(now);
    policy.applyTo(app);
    AppStore.NewKey key = newKey ? AppStore.newKey(now) : null;
    if (key != null) {
      List<AppKey> keys = new ArrayList<>(current.getKeys());
      keys.add(key.key());
      app.setKeys(keys);
    }
    store.put(app.build());
    PrintWriter out = spec.commandLine().getOut();
    out.println("app '" + id + "' updated");
    if (key != null) {
      KeyPrinter.print(out, key);
    }
    return 0;
  }
}
