package io.llmbroker.worker;

import org.awaitility.Awaitility;
import static org.assertj.core.api.Assertions.fail;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.config.WorkerConfig;
import io.llmbroker.worker.routing.CallRouter;
import io.llmbroker.worker.routing.DefaultCallRouter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's corner of the shared broker: an isolated topic prefix (and so its own consumer
 * group), worker configs pointing at it, a producer of requests and probes that read outputs.
 */
final class WorkerTestKit implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(60);
  static final String SIM_ROUTING = """
      routing:
        providers:
          sim: {type: simulated, latency: {min: 2ms, max: 20ms}, output-tokens: {min: 5, max: 30}}
        deployments:
          sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 16}
        aliases:
          fast: [sim-fast]
        prices:
          sim-fast-1: {input: "1.00", output: "2.00"}
      """;

  final Topics topics;
  final String bootstrap;
  final AvroSerdes serdes = AvroSerdes.singleObject();
  private final KafkaProducer<String, LlmRequest> requests;
  private final KafkaProducer<byte[], byte[]> raw;
  private final List<AutoCloseable> closing = new ArrayList<>();

  WorkerTestKit(int partitions) {
    KafkaFixture kafka = KafkaFixture.get();
    this.bootstrap = kafka.bootstrapServers();
    this.topics = KafkaFixture.isolatedTopics(partitions);
    kafka.createTopics(topics.all());
    Properties producer = kafka.clientProperties();
    // Topics were just created: keep batches in order while their leaders settle (KAFKA-15591).
    producer.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    this.requests = new KafkaProducer<>(producer, new StringSerializer(), serdes.serde(LlmRequest.class).serializer());
    this.raw = new KafkaProducer<>(producer, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Creates the reply topics of {@code services}, as services do before they send. */
  void createReplyTopics(String... services) {
    KafkaFixture.get().createTopics(java.util.Arrays.stream(services).<Topic<?>>map(topics::responses).toList());
  }

  /** The consumer group every worker of this kit joins. */
  String group() {
    return topics.prefix() + "llm-broker-worker";
  }

  /** A worker config for this kit's topics; {@code intake} and {@code kafka} are YAML flow maps or empty. */
  String yaml(String intake, Map<String, String> kafka, String routing) {
    StringBuilder kafkaYaml = new StringBuilder("kafka:\n  bootstrap.servers: \"" + bootstrap + "\"\n");
    kafka.forEach((k, v) -> kafkaYaml.append("  ").append(k).append(": \"").append(v).append("\"\n"));
    return "worker: {id: w-" + UUID.randomUUID().toString().substring(0, 6) + "}\n"
        + kafkaYaml
        + "topics: {prefix: \"" + topics.prefix() + "\", partitions: 3}\n"
        + "ops: {host: 127.0.0.1, port: 0}\n"
        + "intake: " + (intake.isEmpty() ? "{drain-timeout: 10s, commit-interval: 200ms}" : intake) + "\n"
        + routing;
  }

  WorkerConfig config(String intake, Map<String, String> kafka, String routing) {
    return WorkerConfig.parse(yaml(intake, kafka, routing), Map.of());
  }

  WorkerConfig config() {
    return config("", Map.of(), SIM_ROUTING);
  }

  WorkerService start(WorkerConfig config) {
    return start(config, Map.of());
  }

  WorkerService start(WorkerConfig config, Map<String, String> env) {
    WorkerService worker = WorkerService.start(config, env);
    closing.add(worker);
    return worker;
  }

  /** Routing to one OpenAI-compatible deployment on {@code server}, capped at {@code cap}, behind alias {@code fast}. */
  static String fakeRouting(FakeProviderServer server, int cap) {
    return """
        routing:
          retry: {max-attempts: 1}
          providers:
            fake: {type: openai, base-url: "%s", api-key-env: FAKE_OPENAI_KEY}
          deployments:
            fake-gpt: {provider: fake, model: gpt-4o-mini, max-concurrency: %d}
          aliases:
            fast: [fake-gpt]
          prices:
            gpt-4o-mini: {input: "0.15", output: "0.60"}
        """.formatted(server.openAiBaseUrl(), cap);
  }

  static final Map<String, String> FAKE_ENV = Map.of("FAKE_OPENAI_KEY", "sk-test-not-a-secret");

  /** Starts a worker whose real router is wrapped by {@code wrap}. */
  WorkerService start(WorkerConfig config, UnaryOperator<CallRouter> wrap) {
    Clock clock = Clock.systemUTC();
    WorkerService worker = WorkerService.start(config, clock,
        meters -> wrap.apply(new DefaultCallRouter(config.routing(), Map.of(), meters, clock)));
    closing.add(worker);
    return worker;
  }

  void submit(Priority priority, LlmRequest request) {
    try {
      requests.send(new ProducerRecord<>(topics.requests(priority).name(), request.getId(), request)).get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  void submitRaw(Priority priority, byte[] key, byte[] value) {
    raw.send(new ProducerRecord<>(topics.requests(priority).name(), key, value));
  }

  /** Sends {@code count} requests {@code r-0, r-1, ...} round-robin over the priority classes; returns their ids. */
  List<String> submitAcrossClasses(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = "r-" + i;
      ids.add(id);
      submitRaw(Priority.values()[i % 3], id.getBytes(java.nio.charset.StandardCharsets.UTF_8), encode(request(id).build()));
    }
    flush();
    return ids;
  }

  void flush() {
    requests.flush();
    raw.flush();
  }

  byte[] encode(LlmRequest request) {
    return serdes.serde(LlmRequest.class).serializer().serialize("any", request);
  }

  <T extends SpecificRecord> Probe<T> probe(Topic<T> topic) {
    return probe(topic.name(), serdes.serde(topic.valueType()).deserializer());
  }

  Probe<byte[]> rawProbe(Topic<byte[]> topic) {
    return probe(topic.name(), new ByteArrayDeserializer());
  }

  private <T> Probe<T> probe(String topic, Deserializer<T> values) {
    Probe<T> probe = new Probe<>(bootstrap, topic, values);
    closing.add(probe);
    return probe;
  }

  /** Committed offsets of this kit's group per request partition; absent when none. */
  Map<TopicPartition, Long> committed() {
    try (Admin admin = KafkaFixture.get().admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group()).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, Long> result = new HashMap<>();
      offsets.forEach((tp, om) -> {
        if (om != null) {
          result.put(tp, om.offset());
        }
      });
      return result;
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** True when the group has {@code members} members, each owning some of {@code partitions} partitions in all. */
  boolean stableGroup(int members, int partitions) {
    String group = group();
    try (Admin admin = KafkaFixture.get().admin()) {
      ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      List<MemberDescription> current = new ArrayList<>(description.members());
      return current.size() == members
          && current.stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())
          && current.stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum() == partitions;
    } catch (InterruptedException | ExecutionException e) {
      return false;
    }
  }

  /** End offsets of the request partitions that hold records. */
  Map<TopicPartition, Long> requestEndOffsets() {
    try (Admin admin = KafkaFixture.get().admin()) {
      Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
      for (Topic<LlmRequest> topic : topics.requestTopics()) {
        int partitions = admin.describeTopics(List.of(topic.name())).allTopicNames().get()
            .get(topic.name()).partitions().size();
        for (int p = 0; p < partitions; p++) {
          wanted.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
        }
      }
      Map<TopicPartition, Long> ends = new HashMap<>();
      for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e
          : admin.listOffsets(wanted).all().get().entrySet()) {
        if (e.getValue().offset() > 0) {
          ends.put(e.getKey(), e.getValue().offset());
        }
      }
      return ends;
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  static LlmRequest.Builder request(String id) {
    return LlmRequest.newBuilder()
        .setId(id)
        .setTeam("search")
        .setApp("ranker")
        .setModel("fast")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText("Say hello to " + id).build())).build()))
        .setReplyTo("svc")
        .setCreatedAt(System.currentTimeMillis());
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes; fails with {@code what}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
  }

  /** The interval between two checks of a condition being waited for. */
  static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (Exception e) {
        System.err.println("test kit: close failed: " + e);
      }
    }
    requests.close(Duration.ofSeconds(5));
    raw.close(Duration.ofSeconds(5));
  }

  /** Reads a topic from its beginning, keeping every record seen. */
  static final class Probe<T> implements AutoCloseable {

    private final KafkaConsumer<String, T> consumer;
    private final String topic;
    private final List<ConsumerRecord<String, T>> seen = new ArrayList<>();
    private boolean assigned;

    /** Reads without a group, so nothing is skipped; waits for the topic when it does not exist yet. */
    Probe(String bootstrap, String topic, Deserializer<T> values) {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
      props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "300");
      this.topic = topic;
      consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
    }

    /** Every record seen so far, after one more poll. */
    List<ConsumerRecord<String, T>> records() {
      seen.addAll(poll());
      return List.copyOf(seen);
    }

    /** Waits until at least {@code count} records were seen. */
    List<ConsumerRecord<String, T>> awaitCount(int count, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seen.size() < count) {
        if (System.nanoTime() > deadline) {
          fail("timed out after " + timeout + " with " + seen.size() + " of " + count + " records");
        }
        seen.addAll(poll());
      }
      return List.copyOf(seen);
    }

    /** Waits for a record with each of {@code keys}; returns the last value seen per key. */
    Map<String, T> awaitKeys(java.util.Collection<String> keys, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      Map<String, T> byKey = new HashMap<>();
      seen.forEach(r -> byKey.put(r.key(), r.value()));
      while (!byKey.keySet().containsAll(keys)) {
        if (System.nanoTime() > deadline) {
          List<String> missing = keys.stream().filter(k -> !byKey.containsKey(k)).limit(10).toList();
          fail("timed out after " + timeout + "; still missing " + missing + " ...");
        }
        for (ConsumerRecord<String, T> r : poll()) {
          seen.add(r);
          byKey.put(r.key(), r.value());
        }
      }
      return byKey;
    }

    private List<ConsumerRecord<String, T>> poll() {
      List<ConsumerRecord<String, T>> batch = new ArrayList<>();
      if (!assigned) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        if (partitions == null || partitions.isEmpty()) {
          pause();
          return batch;
        }
        consumer.assign(partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList());
        consumer.seekToBeginning(consumer.assignment());
        assigned = true;
      }
      consumer.poll(Duration.ofMillis(100)).forEach(batch::add);
      return batch;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(2));
    }
  }
}
