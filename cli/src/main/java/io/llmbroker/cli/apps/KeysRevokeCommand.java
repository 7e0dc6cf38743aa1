package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.VirtualKey;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.runtime.apps.AppEntry;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker keys revoke}: marks a virtual key revoked; every gateway refuses it within seconds. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
    description = "Revokes a gateway key. Every gateway answers 401 for it within seconds.")
final class KeysRevokeCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(index = "0", paramLabel = "KEY_ID", description = "The key id, as 'keys list' shows it (vk-...).")
  String keyId;

  @Override
  public Integer call() {
    AppStore store = new AppStore(client);
    App owner = store.all().values().stream()
        .filter(AppEntry.Registered.class::isInstance)
        .map(e -> ((AppEntry.Registered) e).app())
        .filter(a -> a.getVirtualKeys().stream().anyMatch(k -> k.getId().equals(keyId)))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no app has a key '" + keyId + "'"));
    long now = System.currentTimeMillis();
    List<VirtualKey> keys = owner.getVirtualKeys().stream()
        .map(k -> k.getId().equals(keyId) && k.getRevokedAt() == null ? VirtualKey.newBuilder(k).setRevokedAt(now).build() : k)
        .toList();
    store.put(App.newBuilder(owner).setVirtualKeys(keys).setUpdatedAt(now).build());
    spec.commandLine().getOut().println("key '" + keyId + "' of app '" + owner.getId() + "' revoked");
    return 0;
  }
}
