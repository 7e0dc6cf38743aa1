package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.VirtualKey;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.cli.client.DurationConverter;
import io.llmbroker.gateway.keys.VirtualKeyTokens;
import io.llmbroker.schemas.signing.RequestSigning;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code llm-broker keys create}: a new virtual key of an app; prints its token once. */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Creates a gateway key acting as an app. Prints the bearer token once: store it as a secret.")
final class KeysCreateCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Option(names = "--app", required = true, description = "The registered app the key acts as.")
  String appId;

  @Option(names = "--customer", description = "Attribute every request of this key to this customer (else the request's 'user').")
  String customer;

  @Option(names = "--priority", description = "Default priority of its requests: ${COMPLETION-CANDIDATES} (else the app's ceiling).")
  Priority priority;

  @Option(names = "--expires", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Refuse the key after this long (e.g. 30d, 12h); never when absent.")
  Duration expires;

  @Option(names = "--gateway-public-key", paramLabel = "BASE64", defaultValue = "${env:LLM_BROKER_GATEWAY_PUBLIC_KEY}",
      description = "The gateway's public signing key (from 'keys gateway-key'): added to the app's keys so that workers "
          + "verify what the gateway signs. Default: $LLM_BROKER_GATEWAY_PUBLIC_KEY.")
  String gatewayPublicKey;

  @Override
  public Integer call() {
    if (expires != null && (expires.isNegative() || expires.isZero())) {
      throw new IllegalArgumentException("--expires must be > 0: " + expires);
    }
    AppStore store = new AppStore(client);
    App current = store.get(appId);
    if (current.getRevokedAt() != null) {
      throw new IllegalArgumentException("app '" + appId + "' is revoked");
    }
    long now = System.currentTimeMillis();
    Long expiresAt = expires == null ? null : now + expires.toMillis();
    VirtualKeyTokens.NewKey created = VirtualKeyTokens.create(appId, customer, priority, expiresAt, now);
    List<VirtualKey> keys = new ArrayList<>(current.getVirtualKeys());
    keys.add(created.key());
    App.Builder app = App.newBuilder(current).setVirtualKeys(keys).setUpdatedAt(now);
    String gatewayKeyId = null;
    if (gatewayPublicKey != null && !gatewayPublicKey.isBlank()) {
      PublicKey publicKey = RequestSigning.publicKey(Base64.getDecoder().decode(gatewayPublicKey.trim()));
      gatewayKeyId = RequestSigning.keyId(publicKey);
      String id = gatewayKeyId;
      if (current.getKeys().stream().noneMatch(k -> k.getId().equals(id))) {
        List<AppKey> appKeys = new ArrayList<>(current.getKeys());
        appKeys.add(AppKey.newBuilder().setId(id).setPublicKey(ByteBuffer.wrap(publicKey.getEncoded())).setCreatedAt(now).build());
        app.setKeys(appKeys);
      }
    }
    store.put(app.build());
    PrintWriter out = spec.commandLine().getOut();
    out.println("key " + created.key().getId() + " of app '" + appId + "' created"
        + (expiresAt == null ? "" : ", expires " + Instant.ofEpochMilli(expiresAt))
        + (gatewayKeyId == null ? "" : "; gateway signing key " + gatewayKeyId + " registered for the app"));
    out.println("token: " + created.token());
    out.println("The token above is shown once and stored nowhere: give it to the caller as its OpenAI API key.");
    return 0;
  }
}
