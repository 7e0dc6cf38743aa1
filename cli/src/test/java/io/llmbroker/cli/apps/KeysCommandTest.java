package io.llmbroker.cli.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.App;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.VirtualKey;
import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.gateway.http.OpenAiError;
import io.llmbroker.gateway.keys.Authenticator;
import io.llmbroker.gateway.keys.VirtualKeyTokens;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppLookup;
import io.llmbroker.runtime.apps.AppRegistry;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class KeysCommandTest {

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(1);

  @Test
  void createPrintsATokenOnceStoresOnlyItsHashAndRevokeTurnsItAway() {
    run(true, "apps", "add", "ranker", "--team", "search", "--models", "fast", "--no-key");
    Run gatewayKey = run(false, "keys", "gateway-key");
    String publicKey = field(gatewayKey.out(), "LLM_BROKER_GATEWAY_PUBLIC_KEY", "=");
    String gatewayKeyId = field(gatewayKey.out(), "LLM_BROKER_GATEWAY_SIGNING_KEY_ID", "=");

    Run created = run(true, "keys", "create", "--app", "ranker", "--customer", "acme", "--priority", "BATCH",
        "--expires", "1h", "--gateway-public-key", publicKey);

    assertThat(created.code()).as(created.err()).isZero();
    String token = field(created.out(), "token", ": ");
    App app = registered("ranker");
    VirtualKey key = app.getVirtualKeys().get(0);
    assertThat(bytes(key.getTokenSha256())).isEqualTo(VirtualKeyTokens.sha256(token));
    assertThat(key.getCustomer()).isEqualTo("acme");
    assertThat(key.getPriority()).isEqualTo(Priority.BATCH);
    assertThat(key.getExpiresAt()).isBetween(System.currentTimeMillis() + 3_500_000, System.currentTimeMillis() + 3_600_000);
    assertThat(app.getKeys()).extracting(k -> k.getId()).containsExactly(gatewayKeyId);
    byte[] stored = AvroSerdes.singleObject().serde(App.class).serializer().serialize("t", app);
    assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
    assertThat(authenticator(app).authenticate("Bearer " + token).app().getId()).isEqualTo("ranker");
    assertThat(run(true, "keys", "list", "--app", "ranker").out()).contains(key.getId(), "active", "acme", "BATCH");

    Run revoked = run(true, "keys", "revoke", key.getId());

    assertThat(revoked.code()).as(revoked.err()).isZero();
    App after = registered("ranker");
    assertThat(after.getVirtualKeys().get(0).getRevokedAt()).isNotNull();
    assertThatThrownBy(() -> authenticator(after).authenticate("Bearer " + token))
        .isInstanceOfSatisfying(OpenAiError.class, e -> assertThat(e.status()).isEqualTo(401));
    assertThat(run(true, "keys", "list").out()).contains(key.getId(), "revoked");
  }

  @Test
  void mistakesAreOneLineErrorsThatChangeNothing() {
    run(true, "apps", "add", "ranker", "--team", "search", "--models", "fast", "--no-key");

    Run unknownApp = run(true, "keys", "create", "--app", "nobody");
    Run unknownKey = run(true, "keys", "revoke", "vk-nope");

    assertThat(unknownApp.code()).isEqualTo(2);
    assertThat(unknownApp.err()).contains("no app 'nobody'");
    assertThat(unknownKey.err()).contains("no app has a key 'vk-nope'");
    assertThat(registered("ranker").getVirtualKeys()).isEmpty();
  }

  private static Authenticator authenticator(App app) {
    return new Authenticator(AppLookup.of(Map.of(app.getId(), AppEntry.of(app.getId(), app))), Clock.systemUTC());
  }

  private App registered(String id) {
    Map<String, Object> props = new HashMap<>();
    kafka.clientProperties().forEach((k, v) -> props.put(k.toString(), v));
    AppEntry entry = AppRegistry.read(props, "test", topics.apps(), AvroSerdes.singleObject().serde(App.class).deserializer(),
        Duration.ofSeconds(30)).get(id);
    return ((AppEntry.Registered) entry).app();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private static String field(String out, String name, String separator) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + separator) + "(\\S+)$").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  private record Run(int code, String out, String err) {}

  private Run run(boolean kafkaOptions, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (kafkaOptions) {
      all.addAll(List.of("--bootstrap-server", kafka.bootstrapServers(), "--topic-prefix", topics.prefix()));
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }
}
