package io.llmbroker.audit;

import org.awaitility.Awaitility;
import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.support.Archivers;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service on the real broker: every audit record lands in the archive exactly once, across restarts and replays. */
class AuditArchiverServiceTest {

  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path stateDir;
  @TempDir Path archiveDir;

  private final Topics topics = KafkaFixture.isolatedTopics(3);

  @Test
  void everyRecordIsArchivedExactlyOnceAcrossARestart() throws Exception {
    try (AuditArchiverService service = AuditArchiverService.start(config("archiver", stateDir), Map.of())) {
      produce(0, 30);
      await(() -> AuditArchive.count(archiveDir) >= 30);
    }

    try (AuditArchiverService restarted = AuditArchiverService.start(config("archiver", stateDir), Map.of())) {
      produce(30, 40);
      await(() -> AuditArchive.count(archiveDir) >= 40);
    }

    assertThat(archivedIds()).containsExactlyElementsOf(ids(0, 40));
  }

  @Test
  void replayingArchivedOffsetsWritesNothingTwice(@TempDir Path freshState) throws Exception {
    try (AuditArchiverService service = AuditArchiverService.start(config("first", stateDir), Map.of())) {
      produce(0, 30);
      await(() -> AuditArchive.count(archiveDir) >= 30);
    }

    // A new application id and empty state: the whole topic is read again, as after a crash
    // between writing files and committing.
    try (AuditArchiverService replaying = AuditArchiverService.start(config("second", freshState), Map.of())) {
      await(() -> skipped(replaying) >= 30);
      produce(30, 31);
      await(() -> AuditArchive.count(archiveDir) >= 31);
    }

    assertThat(archivedIds()).containsExactlyElementsOf(ids(0, 31));
  }

  @Test
  void partitionsMovingBetweenTwoArchiversSharingTheArchiveKeepEveryRecordOnce(@TempDir Path secondState)
      throws Exception {
    try (AuditArchiverService first = AuditArchiverService.start(config("shared", stateDir), Map.of())) {
      produce(0, 20);
      try (AuditArchiverService second = AuditArchiverService.start(config("shared", secondState), Map.of())) {
        await(() -> first.ready() && second.ready());
        produce(20, 40);
        await(() -> AuditArchive.count(archiveDir) >= 40);
      }
      // The second one left: its partitions move back to the first.
      produce(40, 60);
      await(() -> AuditArchive.count(archiveDir) >= 60);
    }

    assertThat(archivedIds()).containsExactlyElementsOf(ids(0, 60));
  }

  @Test
  void theChangelogIsSentInLargeLz4BatchesUnlessTheKafkaSectionSaysOtherwise() {
    assertThat(AuditArchiverService.streamsProperties(config("defaults", stateDir)))
        .containsEntry("producer.compression.type", "lz4").containsEntry("producer.batch.size", 256 * 1024);
    assertThat(AuditArchiverService.streamsProperties(
            Archivers.config(topics, "own", stateDir, archiveDir, "200ms", ", compression.type: zstd")))
        .containsEntry("compression.type", "zstd").doesNotContainKey("producer.compression.type")
        .containsEntry("producer.batch.size", 256 * 1024);
  }

  private AuditArchiverConfig config(String applicationId, Path state) {
    return Archivers.config(topics, applicationId, state, archiveDir, "200ms", "");
  }

  private void produce(int from, int to) throws Exception {
    Archivers.produce(topics, ids(from, to).stream().map(id -> record(id, NOON)).toList());
  }

  private List<String> archivedIds() {
    return AuditArchive.rows(archiveDir, "SELECT request_id FROM calls ORDER BY request_id").stream()
        .map(row -> (String) row.get("request_id")).toList();
  }

  private static List<String> ids(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> String.format("req-%03d", i)).sorted().toList();
  }

  private static double skipped(AuditArchiverService service) {
    return Archivers.metric(service.port(), "llm_audit_skipped_records_total");
  }

  /** Polls until {@code condition} holds: the job works asynchronously. */
  private static void await(BooleanSupplier condition) {
    Awaitility.await().atMost(DEADLINE).until(condition::getAsBoolean);
  }
}
