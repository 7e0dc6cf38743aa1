package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.cli.client.ClientOptions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code llm-broker apps revoke}: revokes one key, or the whole app. The record stays (marked
 * revoked) rather than being deleted, so that revoking the last app never empties the registry
 * and so never turns enforcement off.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
    description = "Revokes one signing key (--key) or the whole app. Workers refuse its requests within seconds.")
final class AppsRevokeCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(index = "0", paramLabel = "APP")
  String id;

  @Option(names = "--key", paramLabel = "KEY_ID", description = "Revoke only this key.")
  String keyId;

  @Override
  public Integer call() {
    AppStore store = new AppStore(client);
    App current = store.get(id);
    long now = System.currentTimeMillis();
    App.Builder app = App.newBuilder(current).setUpdatedAt(now);
    if (keyId == null) {
      app.setRevokedAt(now);
    } else {
      if (current.getKeys().stream().noneMatch(k -> k.getId().equals(keyId))) {
        throw new IllegalArgumentException("app '" + id + "' has no key '" + keyId + "'");
      }
      List<AppKey> keys = current.getKeys().stream()
          .map(k -> k.getId().equals(keyId) && k.getRevokedAt() == null ? AppKey.newBuilder(k).setRevokedAt(now).build() : k)
          .toList();
      app.setKeys(keys);
    }
    store.put(app.build());
    spec.commandLine().getOut().println(keyId == null ? "app '" + id + "' revoked" : "key '" + keyId + "' of app '" + id + "' revoked");
    return 0;
  }
}
