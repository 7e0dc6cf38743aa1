package io.llmbroker.costs;

import static io.llmbroker.costs.support.Usage.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.query.CostQuery;
import io.llmbroker.costs.query.CostQueryClient;
import io.llmbroker.costs.query.CostQueryClient.CostQueryException;
import io.llmbroker.costs.query.CostRow;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.JvmProcess;
import io.llmbroker.testsupport.KafkaFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cost aggregator run as an operator runs it, in its own JVM through {@link CostAggregatorMain},
 * stopped with SIGTERM or SIGKILL, then started again on the same state directory.
 */
class CostAggregatorRestartTest {

  private static final Instant TEN = Instant.parse("2026-11-23T10:00:00Z");
  private static final int EVENTS = 300;
  private static final Duration PROCESSED = Duration.ofSeconds(90);
  private static final Pattern RESTORED = Pattern.compile("(?m)^llm_broker_streams_restored_records_total (\\S+)");

  @TempDir Path dir;

  private Topics topics;
  private Path configFile;
  private CostAggregatorConfig config;

  @BeforeEach
  void writeConfig() throws Exception {
    topics = KafkaFixture.isolatedTopics(3);
    String yaml = """
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 3, replication-factor: 1}
        streams: {application-id: "%scosts", state-dir: "%s", commit-interval: 200ms}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(KafkaFixture.get().bootstrapServers(), topics.prefix(), topics.prefix(), dir.resolve("state"));
    configFile = Files.writeString(dir.resolve("cost-aggregator.yaml"), yaml);
    config = CostAggregatorConfig.load(configFile, Map.of());
  }

  @Test
  void aCleanStopLeavesStateThatTheRestartReusesWithoutRestoring() throws Exception {
    try (JvmProcess first = JvmProcess.start(CostAggregatorMain.class, dir.resolve("first.log"), "--config", configFile.toString())) {
      produceUsage();
      awaitAllUsageCommitted(first);

      first.terminate();
      assertThat(first.output()).doesNotContain("TaskCorruptedException");
    }

    try (CostAggregatorService restarted = CostAggregatorService.start(config, Map.of())) {
      awaitReady(restarted);

      assertThat(awaitTotalRequests(restarted)).isEqualTo(EVENTS);
      assertThat(restoredRecords(restarted)).as("records restored from the changelogs").isZero();
    }
  }

  @Test
  void aRestartAfterACrashIsReadyWithinTenSecondsAndCountsEveryRequestOnce() throws Exception {
    try (JvmProcess first = JvmProcess.start(CostAggregatorMain.class, dir.resolve("first.log"), "--config", configFile.toString())) {
      produceUsage();
      awaitAllUsageCommitted(first);
      first.kill();
    }

    long restartedAt = System.nanoTime();
    try (CostAggregatorService restarted = CostAggregatorService.start(config, Map.of())) {
      awaitReady(restarted);
      Duration toReady = Duration.ofNanos(System.nanoTime() - restartedAt);

      assertThat(toReady).as("from start to ready after a SIGKILL").isLessThanOrEqualTo(Duration.ofSeconds(10));
      assertThat(awaitTotalRequests(restarted)).isEqualTo(EVENTS);
    }
  }

  private void produceUsage() throws Exception {
    try (var usage = new KafkaProducer<>(KafkaFixture.get().clientProperties(), new StringSerializer(),
        AvroSerdes.singleObject().serde(UsageEvent.class).serializer())) {
      for (int i = 0; i < EVENTS; i++) {
        UsageEvent e = event("r" + i, "team-" + (i % 7), "gpt-4o", 1_000, TEN.plusSeconds(60L * i));
        usage.send(new ProducerRecord<>(topics.usage().name(), e.getRequestId(), e));
      }
      usage.flush();
    }
  }

  /** Waits until the job committed its input up to the end: then it has processed everything. */
  private void awaitAllUsageCommitted(JvmProcess job) {
    try (Admin admin = KafkaFixture.get().admin()) {
      Awaitility.await("all usage committed by the job").atMost(PROCESSED).pollInterval(Duration.ofMillis(200))
          .until(() -> {
            assertThat(job.isAlive()).as("the job is running; log:%n%s", job.output()).isTrue();
            Map<TopicPartition, OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets(config.streams().applicationId()).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> ends = admin.listOffsets(committed.keySet().stream()
                    .filter(tp -> tp.topic().equals(topics.usage().name()))
                    .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                .all().get().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            return ends.size() == 3 && ends.entrySet().stream()
                .allMatch(e -> committed.get(e.getKey()).offset() >= e.getValue());
          });
    }
  }

  private static void awaitReady(CostAggregatorService service) {
    Awaitility.await("ready").atMost(PROCESSED).pollInterval(Duration.ofMillis(50)).until(service::ready);
  }

  /** The requests counted by the daily rollups once every one is in (or the last count seen at the deadline). */
  private static long awaitTotalRequests(CostAggregatorService service) {
    CostQueryClient client = new CostQueryClient(URI.create("http://127.0.0.1:" + service.port()));
    CostQuery all = CostQuery.of(Granularity.DAY, TEN.minus(Duration.ofDays(1)), TEN.plus(Duration.ofDays(2)));
    return Awaitility.await("every request counted").atMost(PROCESSED).pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsMatching(e -> e instanceof CostQueryException q && q.status() == 503)
        .until(() -> client.query(all).stream().mapToLong(CostRow::requests).sum(), total -> total >= EVENTS);
  }

  private static double restoredRecords(CostAggregatorService service) throws Exception {
    String metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = RESTORED.matcher(metrics);
    assertThat(m.find()).as("restore metric in%n%s", metrics).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
