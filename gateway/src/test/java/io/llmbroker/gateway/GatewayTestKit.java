package io.llmbroker.gateway;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.avro.VirtualKey;
import io.llmbroker.gateway.config.GatewayConfig;
import io.llmbroker.gateway.keys.VirtualKeyTokens;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.schemas.signing.RequestSigning;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test class's corner of the shared broker: isolated topics, a real worker serving a fake
 * OpenAI-compatible provider over HTTP with signatures required, and a gateway signing with its
 * own key, which each app registered here trusts.
 */
final class GatewayTestKit implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(30);

  final Topics topics = KafkaFixture.isolatedTopics(3);
  final FakeProviderServer provider = FakeProviderServer.start();
  private final KeyPair gatewayKey = RequestSigning.generateKeyPair();
  private final String gatewayKeyId = RequestSigning.keyId(gatewayKey.getPublic());
  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final KafkaProducer<String, App> registry;
  private final Map<String, App> apps = new HashMap<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  final WorkerService worker;
  final GatewayService gateway;

  GatewayTestKit() {
    KafkaFixture kafka = KafkaFixture.get();
    kafka.createTopics(topics.all());
    registry = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), serdes.serde(App.class).serializer());
    closing.add(registry);
    closing.add(provider);
    worker = WorkerService.start(WorkerConfig.parse(workerYaml(kafka.bootstrapServers()), Map.of()),
        Map.of("FAKE_OPENAI_KEY", "sk-test-not-a-secret"));
    closing.add(worker);
    gateway = startGateway();
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> gateway.ready() && worker.ready());
  }

  String baseUrl() {
    return "http://127.0.0.1:" + gateway.port() + "/v1";
  }

  /** Another gateway instance on the same topics, closed with the kit. */
  GatewayService startGateway() {
    GatewayService another = GatewayService.start(GatewayConfig.parse(gatewayYaml(KafkaFixture.get().bootstrapServers()), Map.of()),
        Clock.systemUTC());
    closing.add(another);
    return another;
  }

  /**
   * Registers (or replaces) an app of team {@code search} that trusts the gateway's key unless
   * {@code trustsGateway} is false.
   */
  App registerApp(String id, List<String> models, Priority ceiling, Integer maxTokens, boolean trustsGateway) {
    App.Builder app = App.newBuilder().setId(id).setTeam("search").setModels(models).setMaxPriority(ceiling)
        .setMaxTokens(maxTokens).setUpdatedAt(System.currentTimeMillis());
    if (trustsGateway) {
      app.setKeys(List.of(AppKey.newBuilder().setId(gatewayKeyId)
          .setPublicKey(ByteBuffer.wrap(gatewayKey.getPublic().getEncoded())).build()));
    }
    return put(app.build());
  }

  /** Adds a virtual key to a registered app; returns its token. */
  String newKey(String appId, String customer, Priority priority, Long expiresAt) {
    VirtualKeyTokens.NewKey created = VirtualKeyTokens.create(appId, customer, priority, expiresAt, System.currentTimeMillis());
    App app = apps.get(appId);
    List<VirtualKey> keys = new ArrayList<>(app.getVirtualKeys());
    keys.add(created.key());
    put(App.newBuilder(app).setVirtualKeys(keys).build());
    return created.token();
  }

  /** Revokes every virtual key of an app. */
  void revokeKeys(String appId) {
    App app = apps.get(appId);
    List<VirtualKey> keys = app.getVirtualKeys().stream()
        .map(k -> VirtualKey.newBuilder(k).setRevokedAt(System.currentTimeMillis()).build()).toList();
    put(App.newBuilder(app).setVirtualKeys(keys).build());
  }

  private App put(App app) {
    try {
      registry.send(new ProducerRecord<>(topics.apps().name(), app.getId(), app)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot register app " + app.getId(), e);
    }
    apps.put(app.getId(), app);
    return app;
  }

  /** How many records every request topic holds: what reached Kafka. */
  long requestsOnKafka() {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (Topic<?> t : topics.requestTopics()) {
        consumer.partitionsFor(t.name()).forEach(p -> partitions.add(new TopicPartition(t.name(), p.partition())));
      }
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** Records on the request topic of {@code priority}. */
  long requestsOn(Priority priority) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(new ByteArrayDeserializer())) {
      String name = topics.requests(priority).name();
      List<TopicPartition> partitions = consumer.partitionsFor(name).stream()
          .map(p -> new TopicPartition(name, p.partition())).toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** The usage event of request {@code id}, waiting for it. */
  UsageEvent usageOf(String id) {
    try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(consumerProps(), new StringDeserializer(),
        serdes.serde(UsageEvent.class).deserializer())) {
      String name = topics.usage().name();
      consumer.assign(consumer.partitionsFor(name).stream().map(p -> new TopicPartition(name, p.partition())).toList());
      consumer.seekToBeginning(consumer.assignment());
      long until = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < until) {
        for (ConsumerRecord<String, UsageEvent> r : consumer.poll(Duration.ofMillis(200))) {
          if (id.equals(r.key())) {
            return r.value();
          }
        }
      }
      throw new AssertionError("no usage event for " + id + " within " + WAIT);
    }
  }

  private <V> KafkaConsumer<byte[], V> consumer(org.apache.kafka.common.serialization.Deserializer<V> values) {
    return new KafkaConsumer<>(consumerProps(), new ByteArrayDeserializer(), values);
  }

  private Properties consumerProps() {
    Properties props = KafkaFixture.get().clientProperties();
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return props;
  }

  private String workerYaml(String bootstrap) {
    return """
        worker: {id: gateway-test-worker}
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 3}
        ops: {host: 127.0.0.1, port: 0}
        intake: {require-signature: true, drain-timeout: 5s, commit-interval: 200ms}
        routing:
          retry: {max-attempts: 1}
          cooldown: {after-failures: 1000, duration: 1s}
          providers:
            fake: {type: openai, base-url: "%s", api-key-env: FAKE_OPENAI_KEY}
          deployments:
            fake-gpt: {provider: fake, model: gpt-4o-mini, max-concurrency: 8}
          aliases:
            fast: [fake-gpt]
            smart: [fake-gpt]
          prices:
            gpt-4o-mini: {input: "0.15", output: "0.60"}
        """.formatted(bootstrap, topics.prefix(), provider.openAiBaseUrl());
  }

  private String gatewayYaml(String bootstrap) {
    return """
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 3}
        ops: {host: 127.0.0.1, port: 0}
        gateway: {default-timeout: 20s, max-body-bytes: 20000, models: [fast, smart], signing-key-id: "%s", signing-key: "%s"}
        """.formatted(bootstrap, topics.prefix(), gatewayKeyId, RequestSigning.encodePrivateKey(gatewayKey.getPrivate()));
  }

  @Override
  public void close() {
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (Exception e) {
        // closing the rest matters more in a test's teardown
      }
    }
  }
}
