package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
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

/** {@code llm-broker apps add}: registers an app, with a new signing key unless told otherwise. */
@Command(name = "add", mixinStandardHelpOptions = true,
    description = "Registers an app. Prints its new signing key's private half once: store it as a secret.")
final class AppsAddCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Mixin
  PolicyOptions policy;

  @Parameters(index = "0", paramLabel = "APP", description = "The app id requests name in their 'app' field.")
  String id;

  @Option(names = "--no-key", description = "Register without a signing key (only for workers that do not require signatures).")
  boolean noKey;

  @Option(names = "--replace", description = "Overwrite an existing app record.")
  boolean replace;

  @Override
  public Integer call() {
    if (policy.team == null || policy.models == null) {
      throw new IllegalArgumentException("a new app needs --team and --models");
    }
    AppStore store = new AppStore(client);
    if (!replace && store.all().containsKey(id)) {
      throw new IllegalArgumentException("app '" + id + "' exists; change it with 'apps set' or overwrite with --replace");
    }
    long now = System.currentTimeMillis();
    App.Builder app = App.newBuilder().setId(id).setTeam(policy.team).setUpdatedAt(now);
    policy.applyTo(app);
    List<AppStore.NewKey> keys = new ArrayList<>();
    if (!noKey) {
      keys.add(AppStore.newKey(now));
    }
    app.setKeys(keys.stream().map(AppStore.NewKey::key).toList());
    store.put(app.build());
    PrintWriter out = spec.commandLine().getOut();
    out.println("app '" + id + "' registered on " + store.topicName() + " (team " + policy.team + ")");
    keys.forEach(k -> KeyPrinter.print(out, k));
    return 0;
  }
}
