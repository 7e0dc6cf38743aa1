package io.llmbroker.cli.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.App;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.cli.CommandRun;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppRegistry;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.schemas.signing.RequestSigning;
import io.llmbroker.testsupport.KafkaFixture;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AppsCommandTest {

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(1);

  @Test
  void addPrintsThePrivateKeyOnceAndStoresOnlyThePublicKeyThatVerifiesItsSignatures() {
    CommandRun added = run("apps", "add", "ranker", "--team", "search", "--models", "fast,openai/gpt-4o-mini",
        "--max-priority", "STANDARD", "--max-tokens", "500", "--default-customer", "acme");

    assertThat(added.code()).as(added.err()).isZero();
    String keyId = field(added.out(), "signing-key-id");
    String privateKey = field(added.out(), "signing-key");
    App app = registered("ranker");
    assertThat(app.getTeam()).isEqualTo("search");
    assertThat(app.getModels()).containsExactly("fast", "openai/gpt-4o-mini");
    assertThat(app.getMaxPriority()).isEqualTo(Priority.STANDARD);
    assertThat(app.getMaxTokens()).isEqualTo(500);
    assertThat(app.getDefaultCustomer()).isEqualTo("acme");
    assertThat(app.getKeys()).singleElement().satisfies(k -> assertThat(k.getId()).isEqualTo(keyId));
    byte[] stored = AvroSerdes.singleObject().serde(App.class).serializer().serialize("t", app);
    assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain(new String(java.util.Base64.getDecoder().decode(privateKey), java.nio.charset.StandardCharsets.ISO_8859_1));
    LlmRequest request = LlmRequest.newBuilder().setId("r").setTeam("search").setApp("ranker").setModel("fast")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user").build())).setReplyTo("svc").setCreatedAt(1).build();
    request.setSignature(RequestSigning.sign(request, "topic", keyId, RequestSigning.privateKey(privateKey)));
    AppEntry.Registered entry = (AppEntry.Registered) AppEntry.of("ranker", app);
    assertThat(RequestSigning.verify(request, "topic", entry.key(keyId).orElseThrow().publicKey())).isTrue();
  }

  @Test
  void setChangesOnlyWhatItNamesAndRevokeMarksKeysAndAppsWithoutDeletingThem() {
    run("apps", "add", "ranker", "--team", "search", "--models", "fast");
    String firstKey = registered("ranker").getKeys().get(0).getId();

    CommandRun set = run("apps", "set", "ranker", "--max-tokens", "100", "--new-key");
    CommandRun revokeKey = run("apps", "revoke", "ranker", "--key", firstKey);

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(revokeKey.code()).as(revokeKey.err()).isZero();
    App app = registered("ranker");
    assertThat(app.getTeam()).isEqualTo("search");
    assertThat(app.getModels()).containsExactly("fast");
    assertThat(app.getMaxTokens()).isEqualTo(100);
    assertThat(app.getKeys()).hasSize(2);
    assertThat(app.getKeys().get(0).getRevokedAt()).isNotNull();
    assertThat(app.getKeys().get(1).getRevokedAt()).isNull();
    assertThat(app.getKeys().get(1).getId()).isEqualTo(field(set.out(), "signing-key-id"));

    CommandRun revokeApp = run("apps", "revoke", "ranker");

    assertThat(revokeApp.code()).isZero();
    assertThat(registered("ranker").getRevokedAt()).isNotNull();
    CommandRun list = run("apps", "list");
    assertThat(list.out()).containsPattern("ranker\\s+search\\s+revoked");
    CommandRun show = run("apps", "show", "ranker");
    assertThat(show.out()).contains("team:             search", firstKey + "  created").doesNotContain("signing-key:");
  }

  @Test
  void mistakesAreOneLineErrorsThatChangeNothing() {
    run("apps", "add", "ranker", "--team", "search", "--models", "fast");

    CommandRun again = run("apps", "add", "ranker", "--team", "other", "--models", "*");
    CommandRun missing = run("apps", "show", "nobody");
    CommandRun noTeam = run("apps", "add", "lonely", "--models", "fast");
    CommandRun badKey = run("apps", "revoke", "ranker", "--key", "k-nope");

    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("'ranker' exists");
    assertThat(missing.err()).contains("no app 'nobody'");
    assertThat(noTeam.err()).contains("--team");
    assertThat(badKey.err()).contains("no key 'k-nope'");
    assertThat(registered("ranker").getTeam()).isEqualTo("search");
    assertThat(registered("ranker").getKeys().get(0).getRevokedAt()).isNull();
  }

  private App registered(String id) {
    Map<String, Object> props = new HashMap<>();
    kafka.clientProperties().forEach((k, v) -> props.put(k.toString(), v));
    AppEntry entry = AppRegistry.read(props, "test", topics.apps(), AvroSerdes.singleObject().serde(App.class).deserializer(),
        Duration.ofSeconds(30)).get(id);
    return ((AppEntry.Registered) entry).app();
  }

  private static String field(String out, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ": (\\S+)$").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  private CommandRun run(String... args) {
    return CommandRun.run(kafka, topics, args);
  }
}
