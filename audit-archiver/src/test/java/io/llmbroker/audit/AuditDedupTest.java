package io.llmbroker.audit;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A request served twice (its worker crashed before committing) is archived once, on the real broker. */
class AuditDedupTest {

  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path stateDir;
  @TempDir Path archiveDir;

  private final Topics topics = KafkaFixture.isolatedTopics(3);

  @Test
  void aRequestAuditedAgainAfterARestartIsArchivedOnceWithItsFirstOutcome() throws Exception {
    try (AuditArchiverService service = AuditArchiverService.start(config(), Map.of())) {
      produce(List.of(audit("a", "worker-1", NOON), audit("b", "worker-1", NOON), audit("c", "worker-1", NOON)));
      Awaitility.await().atMost(DEADLINE).until(() -> AuditArchive.count(archiveDir) >= 3);
    }

    try (AuditArchiverService restarted = AuditArchiverService.start(config(), Map.of())) {
      Instant later = NOON.plusSeconds(40);
      produce(List.of(audit("a", "worker-2", later), audit("b", "worker-2", later), audit("d", "worker-2", later)));
      Awaitility.await().atMost(DEADLINE).until(() -> !AuditArchive.rows(archiveDir,
          "SELECT 1 FROM calls WHERE request_id = 'd'").isEmpty());
    }

    List<Map<String, Object>> archived = AuditArchive.rows(archiveDir, "SELECT request_id, worker FROM calls");
    assertThat(archived).extracting(r -> r.get("request_id")).containsExactlyInAnyOrder("a", "b", "c", "d");
    assertThat(archived).filteredOn(r -> !r.get("request_id").equals("d")).extracting(r -> r.get("worker"))
        .containsOnly("worker-1");
  }

  private static AuditRecord audit(String id, String worker, Instant at) {
    return AuditRecord.newBuilder(record(id, at)).setWorker(worker).build();
  }

  private AuditArchiverConfig config() {
    return AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 3, replication-factor: 1}
        streams: {application-id: "%sarchiver", state-dir: "%s", commit-interval: 200ms}
        archive: {dir: "%s", roll-interval: 200ms}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(KafkaFixture.get().bootstrapServers(), topics.prefix(), topics.prefix(), stateDir, archiveDir),
        Map.of());
  }

  private void produce(List<AuditRecord> records) throws Exception {
    try (var producer = new KafkaProducer<>(KafkaFixture.get().clientProperties(), new StringSerializer(),
        AvroSerdes.singleObject().serde(AuditRecord.class).serializer())) {
      for (AuditRecord r : records) {
        producer.send(new ProducerRecord<>(topics.audit().name(), null, r.getRecordedAt(), r.getRequestId(), r)).get();
      }
    }
  }
}
