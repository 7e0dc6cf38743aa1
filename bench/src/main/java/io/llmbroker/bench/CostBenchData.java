package io.llmbroker.bench;

import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.topology.CostTopology;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Usage data for the cost benchmarks, and cost aggregators to run on it: usage events spread
 * evenly in event time over a span, with team, model and customer drawn (seeded) from
 * {@value #TEAMS} x {@value #MODELS} x {@value #CUSTOMERS} values.
 */
final class CostBenchData {

  static final int TEAMS = 50;
  static final int MODELS = 10;
  static final int CUSTOMERS = 100;
  static final int PARTITIONS = 6;

  private CostBenchData() {}

  /** Writes {@code events} usage events with occurred_at in {@code [start, start + span)}, in time order. */
  static void produce(String bootstrap, Topics topics, int events, Instant start, Duration span) {
    Random random = new Random(42);
    long step = Math.max(1, span.toMillis() / events);
    Map<String, Object> props = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), AvroSerdes.singleObject().serde(UsageEvent.class).serializer())) {
      for (int i = 0; i < events; i++) {
        UsageEvent e = UsageEvent.newBuilder().setRequestId("u" + i).setTeam("team-" + random.nextInt(TEAMS))
            .setApp("app-" + random.nextInt(5)).setCustomer("customer-" + random.nextInt(CUSTOMERS)).setProvider("openai")
            .setModel("model-" + random.nextInt(MODELS)).setStatus(random.nextInt(50) == 0 ? ResponseStatus.ERROR : ResponseStatus.OK)
            .setUsage(TokenUsage.newBuilder().setInputTokens(200 + random.nextInt(800)).setOutputTokens(50 + random.nextInt(300)).build())
            .setCostMicros(100 + random.nextInt(10_000)).setLatencyMs(200 + random.nextInt(2_000))
            .setOccurredAt(start.toEpochMilli() + i * step).build();
        producer.send(new ProducerRecord<>(topics.usage().name(), e.getRequestId(), e));
      }
      producer.flush();
    }
  }

  /** A fresh state directory for one aggregator; see {@link #deleteState}. */
  static Path stateDir() {
    try {
      return Files.createTempDirectory("bench-costs-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A cost aggregator of the job {@code applicationId} on {@code topics}, on a free port, keeping its
   * state in {@code state}. A joining instance warms its tasks up before Kafka Streams moves them
   * to it, checked every minute here (Streams' least; ten by default).
   */
  static CostAggregatorService start(String bootstrap, Topics topics, String applicationId, String rollup, Path state) {
    return CostAggregatorService.start(CostAggregatorConfig.parse("""
        kafka: {bootstrap.servers: "%s", probing.rebalance.interval.ms: 60000}
        topics: {prefix: "%s", partitions: %d, replication-factor: 1}
        streams: {application-id: "%s", state-dir: "%s", commit-interval: 1s}
        rollup: %s
        ops: {host: 127.0.0.1, port: 0}
        query: {advertised-host: 127.0.0.1, fan-out-timeout: 10s}
        """.formatted(bootstrap, topics.prefix(), PARTITIONS, applicationId, state, rollup), Map.of()), Map.of());
  }

  /**
   * True once the job has committed every record of llm.usage and of its repartition topic, i.e.
   * rolled every event up (a consumer's position passes the transaction markers, so a fully read
   * transactional topic is committed at its end offset).
   */
  static boolean consumedAll(BenchKafka kafka, Topics topics, String applicationId) {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = kafka.admin().listConsumerGroupOffsets(applicationId)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, Long> ends = new HashMap<>(kafka.endOffsets(topics.usage().name()));
      ends.putAll(kafka.endOffsets(applicationId + "-" + CostTopology.REPARTITION + "-repartition"));
      return ends.entrySet().stream().allMatch(end -> {
        OffsetAndMetadata c = committed.get(end.getKey());
        return c != null && c.offset() >= end.getValue();
      });
    } catch (Exception e) {
      return false;
    }
  }

  /** Deletes a state directory made by {@link #stateDir}, so that runs do not fill the disk. */
  static void deleteState(Path state) {
    try (var files = Files.walk(state)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + state + ": " + e.getMessage());
    }
  }

  /** GET on an aggregator; the status and body. */
  static HttpResponse<String> get(HttpClient http, CostAggregatorService instance, String pathAndQuery) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.port() + pathAndQuery))
          .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The value at quantile {@code q} of sorted {@code values}. */
  static long quantile(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
