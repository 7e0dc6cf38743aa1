package io.llmbroker.worker.publishing;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The measurement behind the worker's default compression per output (docs/BENCHMARKS.md,
 * "Output compression"). Not a test: run its {@code main} with the module's test classpath.
 * For each output kind and codec it sends the same pre-encoded records through a producer set
 * up as the worker's (acks=all, idempotent, one request in flight, the worker's linger), as
 * fast as the producer takes them, and reports the send rate and the bytes the broker stored.
 * Texts are random slices of the README, so they compress like prose, not like repeated words.
 */
public final class CompressionMeasurement {

  private static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");

  private CompressionMeasurement() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String corpus = Files.readString(Path.of(args.length > 1 ? args[1] : "README.md"));
    AvroSerdes serdes = AvroSerdes.singleObject();
    Random random = new Random(7);
    Map<String, IntFunction<byte[]>> kinds = Map.of(
        "reply", i -> encode(serdes, LlmResponse.class, response(i, slice(corpus, random, 1200))),
        "usage", i -> encode(serdes, UsageEvent.class, usage(i)),
        "audit", i -> encode(serdes, AuditRecord.class, audit(i, slice(corpus, random, 2000), slice(corpus, random, 1200))));
    KafkaFixture kafka = KafkaFixture.get();
    Map<String, List<byte[]>> values = new LinkedHashMap<>();
    for (String kind : List.of("reply", "usage", "audit")) {
      List<byte[]> encoded = new ArrayList<>(records);
      for (int i = 0; i < records; i++) {
        encoded.add(kinds.get(kind).apply(i));
      }
      values.put(kind, encoded);
    }
    // Warm-up: the JIT and the broker's first topics, not reported.
    for (String codec : CODECS) {
      saturate(kafka, "warmup", codec, 1, 16_384, values.get("reply"));
    }
    System.out.println("Saturation: every record sent at once, as fast as the producer takes them.");
    System.out.println();
    System.out.println("| output | codec | batch.size | records/s | MB/s before compression | bytes stored per record | stored / raw |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|");
    for (Map.Entry<String, List<byte[]>> kind : values.entrySet()) {
      int linger = kind.getKey().equals("reply") ? 1 : 5;
      for (String codec : CODECS) {
        report(kafka, kind.getKey(), codec, linger, 16_384, kind.getValue());
      }
      for (String codec : List.of("none", "lz4", "zstd")) {
        report(kafka, kind.getKey(), codec, linger, 65_536, kind.getValue());
      }
    }
    System.out.println();
    System.out.println("Paced: replies one per millisecond, each timed from send to acknowledgement.");
    System.out.println();
    System.out.println("| output | codec | ack p50 ms | ack p99 ms | bytes stored per record |");
    System.out.println("|---|---|---:|---:|---:|");
    List<byte[]> paced = values.get("reply").subList(0, Math.min(5_000, records));
    for (String codec : CODECS) {
      String topic = topic(kafka, "paced-reply", codec);
      long[] latencies = paced(kafka, topic, codec, paced);
      Arrays.sort(latencies);
      System.out.printf("| reply | %s | %.2f | %.2f | %,.0f |%n", codec, latencies[latencies.length / 2] / 1e6,
          latencies[(int) (latencies.length * 0.99)] / 1e6,
          (double) storedBytes(kafka, new TopicPartition(topic, 0)) / paced.size());
    }
    System.exit(0);
  }

  private static void report(KafkaFixture kafka, String kind, String codec, int lingerMs, int batchSize,
      List<byte[]> values) throws Exception {
    long raw = values.stream().mapToLong(v -> v.length + 36).sum();
    long started = System.nanoTime();
    String topic = saturate(kafka, kind, codec, lingerMs, batchSize, values);
    double seconds = (System.nanoTime() - started) / 1e9;
    long stored = storedBytes(kafka, new TopicPartition(topic, 0));
    System.out.printf("| %s | %s | %,d | %,.0f | %.1f | %,.0f | %.2f |%n", kind, codec, batchSize, values.size() / seconds,
        raw / seconds / 1e6, (double) stored / values.size(), (double) stored / raw);
  }

  private static String topic(KafkaFixture kafka, String kind, String codec) throws Exception {
    String topic = "measure-" + kind + "-" + codec + "-" + System.nanoTime();
    try (Admin admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    return topic;
  }

  private static Properties producerProps(KafkaFixture kafka, String codec, int lingerMs, int batchSize) {
    Properties props = kafka.clientProperties();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, batchSize);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    return props;
  }

  private static long[] paced(KafkaFixture kafka, String topic, String codec, List<byte[]> values) throws Exception {
    long[] latencies = new long[values.size()];
    try (var producer = new KafkaProducer<>(producerProps(kafka, codec, 1, 16_384), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      List<CompletableFuture<Void>> acks = new ArrayList<>(values.size());
      long start = System.nanoTime();
      for (int i = 0; i < values.size(); i++) {
        long due = start + i * 1_000_000L;
        while (System.nanoTime() < due) {
          LockSupport.parkNanos(due - System.nanoTime());
        }
        int index = i;
        long sent = System.nanoTime();
        CompletableFuture<Void> ack = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, ("request-" + i).getBytes(StandardCharsets.UTF_8), values.get(i)),
            (metadata, error) -> {
              latencies[index] = System.nanoTime() - sent;
              ack.complete(null);
            });
        acks.add(ack);
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
    }
    return latencies;
  }

  private static String saturate(KafkaFixture kafka, String kind, String codec, int lingerMs, int batchSize,
      List<byte[]> values) throws Exception {
    String topic = topic(kafka, kind, codec);
    try (var producer = new KafkaProducer<>(producerProps(kafka, codec, lingerMs, batchSize), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      List<CompletableFuture<Void>> acks = new ArrayList<>(values.size());
      int i = 0;
      for (byte[] value : values) {
        CompletableFuture<Void> ack = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, ("request-" + i++).getBytes(StandardCharsets.UTF_8), value),
            (metadata, error) -> {
              if (error == null) {
                ack.complete(null);
              } else {
                ack.completeExceptionally(error);
              }
            });
        acks.add(ack);
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
    }
    return topic;
  }

  private static long storedBytes(KafkaFixture kafka, TopicPartition partition) throws Exception {
    try (Admin admin = kafka.admin()) {
      List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(n -> n.id()).toList();
      return admin.describeLogDirs(brokers).allDescriptions().get().values().stream()
          .flatMap(dirs -> dirs.values().stream())
          .mapToLong(dir -> dir.replicaInfos().containsKey(partition) ? dir.replicaInfos().get(partition).size() : 0)
          .sum();
    }
  }

  private static <T extends SpecificRecord> byte[] encode(AvroSerdes serdes, Class<T> type, T value) {
    return serdes.serde(type).serializer().serialize("measure", value);
  }

  private static String slice(String corpus, Random random, int length) {
    int start = random.nextInt(corpus.length() - length);
    return corpus.substring(start, start + length);
  }

  private static LlmResponse response(int i, String content) {
    long now = 1_764_000_000_000L + i;
    return LlmResponse.newBuilder().setRequestId("request-" + i).setStatus(ResponseStatus.OK)
        .setPriority(Priority.STANDARD).setProvider("openai").setModel("gpt-4o-mini").setDeployment("gpt-mini")
        .setContent(content).setFinishReason("stop")
        .setUsage(TokenUsage.newBuilder().setInputTokens(520).setOutputTokens(300).build()).setCostMicros(258)
        .setTimings(Timings.newBuilder().setReceivedAt(now).setQueuedMs(12).setProviderMs(900).setTotalMs(930).build())
        .setAttempts(1).setCompletedAt(now).build();
  }

  private static UsageEvent usage(int i) {
    return UsageEvent.newBuilder().setRequestId("request-" + i).setTeam("search").setApp("ranker")
        .setTags(Map.of("env", "prod")).setProvider("openai").setModel("gpt-4o-mini").setDeployment("gpt-mini")
        .setStatus(ResponseStatus.OK).setUsage(TokenUsage.newBuilder().setInputTokens(520).setOutputTokens(300).build())
        .setCostMicros(258).setOccurredAt(1_764_000_000_000L + i).build();
  }

  private static AuditRecord audit(int i, String prompt, String content) {
    long now = 1_764_000_000_000L + i;
    LlmRequest request = LlmRequest.newBuilder().setId("request-" + i).setTeam("search").setApp("ranker")
        .setTags(Map.of("env", "prod")).setModel("fast").setReplyTo("ranker").setCreatedAt(now)
        .setMessages(List.of(
            ChatMessage.newBuilder().setRole("system")
                .setContent(List.of(ContentPart.newBuilder().setText("You are a helpful assistant. Be brief.").build()))
                .build(),
            ChatMessage.newBuilder().setRole("user")
                .setContent(List.of(ContentPart.newBuilder().setText(prompt).build())).build()))
        .build();
    return AuditRecord.newBuilder().setRequestId("request-" + i).setRequest(request).setResponse(response(i, content))
        .setAttempts(List.of(Attempt.newBuilder().setNumber(1).setDeployment("gpt-mini").setProvider("openai")
            .setModel("gpt-4o-mini").setStartedAt(now).setDurationMs(900).setHttpStatus(200).build()))
        .setWorker("worker-1").setRecordedAt(now).build();
  }
}
