package io.llmbroker.audit;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real zombie on the real broker: an archiver whose stream thread stalls inside a record loses
 * its partition to a second archiver sharing the archive; when it wakes up it still holds buffered
 * records and tries to write them. Nothing may be archived twice or lost.
 */
class ZombieArchiverTest {

  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final Pattern FENCED = Pattern.compile("(?m)^llm_audit_fenced_flushes_total(?:\\{[^}]*})? ([0-9.E]+)$");

  @TempDir Path zombieState;
  @TempDir Path ownerState;
  @TempDir Path archiveDir;

  private final Topics topics = KafkaFixture.isolatedTopics(1);

  @Test
  void anArchiverThatLostItsPartitionWritesNothingWhenItWakesUp() throws Exception {
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch wake = new CountDownLatch(1);
    UnaryOperator<io.llmbroker.audit.redaction.Redactor> stallOnBlock = redactor -> r -> {
      if (r.getRequestId().equals("block")) {
        stalled.countDown();
        try {
          wake.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return redactor.redact(r);
    };
    try (AuditArchiverService zombie = AuditArchiverService.start(config(zombieState), Map.of(), stallOnBlock)) {
      produce(ids(0, 10));
      produce(List.of("block"));
      assertThat(stalled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();

      try (AuditArchiverService owner = AuditArchiverService.start(config(ownerState), Map.of())) {
        // The stalled thread misses max.poll.interval.ms; the partition moves to the owner.
        Awaitility.await().atMost(DEADLINE).until(() -> AuditArchive.count(archiveDir) >= 11);
        wake.countDown();
        Awaitility.await().atMost(DEADLINE).until(() -> fenced(zombie) >= 1);
      }
    } finally {
      wake.countDown();
    }

    List<String> expected = new ArrayList<>(ids(0, 10));
    expected.add("block");
    assertThat(AuditArchive.rows(archiveDir, "SELECT request_id FROM calls ORDER BY request_id"))
        .extracting(r -> r.get("request_id")).containsExactlyElementsOf(expected.stream().sorted().toList());
  }

  private AuditArchiverConfig config(Path state) {
    return AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "%s", max.poll.interval.ms: "3000"}
        topics: {prefix: "%s", partitions: 1, replication-factor: 1}
        streams: {application-id: "%sarchiver", state-dir: "%s", commit-interval: 200ms}
        archive: {dir: "%s", roll-interval: 2s}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(KafkaFixture.get().bootstrapServers(), topics.prefix(), topics.prefix(), state, archiveDir),
        Map.of());
  }

  private void produce(List<String> ids) throws Exception {
    try (var producer = new KafkaProducer<>(KafkaFixture.get().clientProperties(), new StringSerializer(),
        AvroSerdes.singleObject().serde(AuditRecord.class).serializer())) {
      for (String id : ids) {
        producer.send(new ProducerRecord<>(topics.audit().name(), id, record(id, NOON))).get();
      }
    }
  }

  private static List<String> ids(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> String.format("req-%03d", i)).toList();
  }

  private static double fenced(AuditArchiverService service) {
    try {
      String metrics = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = FENCED.matcher(metrics);
      return m.find() ? Double.parseDouble(m.group(1)) : 0;
    } catch (Exception e) {
      throw new AssertionError("cannot read /metrics: " + e, e);
    }
  }
}
