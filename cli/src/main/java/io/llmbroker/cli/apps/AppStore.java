package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppRegistry;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.schemas.signing.RequestSigning;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Reads and writes the apps registry for one command run. Not thread-safe. */
final class AppStore {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final Topic<App> topic;
  private final AvroSerdes serdes;

  AppStore(ClientOptions options) {
    ClientConfig config = options.clientConfig("apps", System.getenv());
    this.kafka = config.kafkaProperties();
    this.topic = config.topics().apps();
    this.serdes = AvroSerdes.fromConfig(kafka);
    kafka.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
  }

  /** Every entry, sorted by id; the topic is created (compacted, cluster-default replication) when missing. */
  Map<String, AppEntry> all() {
    createTopicIfMissing();
    return AppRegistry.read(kafka, "llm-broker-apps-cli", topic, serdes.serde(App.class).deserializer(), TIMEOUT);
  }

  /**
   * The readable app {@code id}.
   *
   * @throws IllegalArgumentException when it is absent or its record cannot be read
   */
  App get(String id) {
    AppEntry entry = all().get(id);
    if (entry == null) {
      throw new IllegalArgumentException("no app '" + id + "' in " + topic.name());
    }
    if (entry instanceof AppEntry.Unreadable unreadable) {
      throw new IllegalArgumentException("app '" + id + "' has an unreadable record (" + unreadable.reason()
          + "); write it again with 'apps add --replace'");
    }
    return ((AppEntry.Registered) entry).app();
  }

  void put(App app) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    byte[] value = serdes.serde(App.class).serializer().serialize(topic.name(), app);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic.name(), app.getId().getBytes(StandardCharsets.UTF_8), value))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot write app '" + app.getId() + "' to " + topic.name() + ": "
          + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not acknowledge app '" + app.getId() + "' within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  String topicName() {
    return topic.name();
  }

  /** A new key pair: the app record gets the public key, the caller prints the private key once. */
  static NewKey newKey(long now) {
    KeyPair pair = RequestSigning.generateKeyPair();
    String id = RequestSigning.keyId(pair.getPublic());
    AppKey key = AppKey.newBuilder().setId(id).setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
        .setCreatedAt(now).build();
    return new NewKey(key, RequestSigning.encodePrivateKey(pair.getPrivate()));
  }

  /** A generated key: {@code key} is stored, {@code privateKey} only printed. */
  record NewKey(AppKey key, String privateKey) {
    @Override
    public String toString() {
      return "NewKey[" + key.getId() + "]";
    }
  }

  private void createTopicIfMissing() {
    try (Admin admin = Admin.create(kafka)) {
      if (admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).contains(topic.name())) {
        return;
      }
      NewTopic wanted = new NewTopic(topic.name(), topic.partitions(), Optional.empty()).configs(topic.configs());
      admin.createTopics(List.of(wanted)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create " + topic.name() + ": " + e.getCause().getMessage(), e);
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka at " + kafka.get("bootstrap.servers") + " did not answer within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
