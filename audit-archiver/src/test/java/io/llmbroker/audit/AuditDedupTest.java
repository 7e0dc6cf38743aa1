package io.llmbroker.audit;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.support.Archivers;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A request served twice (its worker crashed before committing) is archived once, on the real broker. */
class AuditDedupTest {

  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path stateDir;
  @TempDir Path archiveDir;

  private final Topics topics = io.llmbroker.testsupport.KafkaFixture.isolatedTopics(3);

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
    return Archivers.config(topics, "archiver", stateDir, archiveDir, "200ms", "");
  }

  private void produce(List<AuditRecord> records) throws Exception {
    Archivers.produce(topics, records);
  }
}
