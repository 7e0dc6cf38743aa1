package io.llmbroker.runtime.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.schemas.signing.RequestSigning;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AppRegistryTest {

  private static final Duration LOAD = Duration.ofSeconds(30);

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(2);
  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final KafkaProducer<byte[], byte[]> producer =
      new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer());

  @AfterEach
  void close() {
    producer.close(Duration.ofSeconds(5));
  }

  @Test
  void everyAppWrittenBeforeStartIsThereWhenStartReturnsAndLaterChangesFollow() {
    kafka.createTopics(List.of(topics.apps()));
    var key = RequestSigning.generateKeyPair();
    for (int i = 0; i < 50; i++) {
      put("app-" + i, app("app-" + i, "team-" + i, appKey("k1", key.getPublic().getEncoded(), null)));
    }

    try (AppRegistry registry = start()) {
      assertThat(registry.snapshot()).hasSize(50);
      assertThat(registry.find("app-7")).get().isInstanceOfSatisfying(AppEntry.Registered.class,
          r -> assertThat(r.app().getTeam()).isEqualTo("team-7"));

      put("app-7", app("app-7", "team-7", appKey("k1", key.getPublic().getEncoded(), 1L)));
      put("app-8", null);

      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry.find("app-7")
          .map(e -> ((AppEntry.Registered) e).key("k1").orElseThrow().revoked()).orElse(false));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry.find("app-8").isEmpty());
      assertThat(registry.snapshot()).hasSize(49);
    }
  }

  @Test
  void malformedRecordsAreUnreadableNamedByKeyAndNeverStopTheRegistry() {
    kafka.createTopics(List.of(topics.apps()));
    byte[] publicKey = RequestSigning.generateKeyPair().getPublic().getEncoded();
    putRaw("garbage", "not avro at all".getBytes(StandardCharsets.UTF_8));
    put("mismatch", app("someone-else", "t", appKey("k1", publicKey, null)));
    put("bad-key", app("bad-key", "t", appKey("k1", new byte[] {1, 2, 3}, null)));
    put("twice", app("twice", "t", appKey("k1", publicKey, null), appKey("k1", publicKey, null)));
    put("blank-team", app("blank-team", " "));
    put("good", app("good", "t", appKey("k1", publicKey, null)));

    try (AppRegistry registry = start()) {
      Map<String, AppEntry> entries = registry.snapshot();
      assertThat(entries.get("garbage")).isInstanceOf(AppEntry.Unreadable.class);
      assertThat(((AppEntry.Unreadable) entries.get("mismatch")).reason()).contains("someone-else");
      assertThat(((AppEntry.Unreadable) entries.get("bad-key")).reason()).contains("k1");
      assertThat(((AppEntry.Unreadable) entries.get("twice")).reason()).contains("twice");
      assertThat(entries.get("blank-team")).isInstanceOf(AppEntry.Unreadable.class);
      assertThat(entries.get("good")).isInstanceOf(AppEntry.Registered.class);

      putRaw("garbage-later", new byte[] {(byte) 0xc3, 0x01, 7});
      put("after", app("after", "t"));

      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry.find("after").isPresent());
      assertThat(registry.find("garbage-later")).get().isInstanceOf(AppEntry.Unreadable.class);
    }
  }

  @Test
  void aMissingTopicFailsTheStartNamingIt() {
    assertThatThrownBy(this::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(topics.apps().name());
  }

  private AppRegistry start() {
    Map<String, Object> props = new HashMap<>();
    kafka.clientProperties().forEach((k, v) -> props.put(k.toString(), v));
    return AppRegistry.start(props, "test-registry", topics.apps(), serdes.serde(App.class).deserializer(), LOAD);
  }

  static App app(String id, String team, AppKey... keys) {
    return App.newBuilder().setId(id).setTeam(team).setModels(List.of("*")).setKeys(List.of(keys)).build();
  }

  static AppKey appKey(String id, byte[] publicKey, Long revokedAt) {
    return AppKey.newBuilder().setId(id).setPublicKey(ByteBuffer.wrap(publicKey)).setRevokedAt(revokedAt).build();
  }

  private void put(String key, App app) {
    putRaw(key, app == null ? null : serdes.serde(App.class).serializer().serialize(topics.apps().name(), app));
  }

  private void putRaw(String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topics.apps().name(), key.getBytes(StandardCharsets.UTF_8), value)).get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
