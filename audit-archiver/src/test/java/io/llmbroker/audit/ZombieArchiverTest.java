package io.llmbroker.audit;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.support.Archivers;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
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
    try (AuditArchiverService zombie = AuditArchiverService.start(config(zombieState), java.util.Map.of(), stallOnBlock)) {
      produce(ids(0, 10));
      produce(List.of("block"));
      assertThat(stalled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();

      try (AuditArchiverService owner = AuditArchiverService.start(config(ownerState), java.util.Map.of())) {
        // The stalled thread misses max.poll.interval.ms; the partition moves to the owner.
        Awaitility.await().atMost(DEADLINE).until(() -> AuditArchive.count(archiveDir) >= 11);
        wake.countDown();
        Awaitility.await().atMost(DEADLINE)
            .until(() -> Archivers.metric(zombie.port(), "llm_audit_fenced_flushes_total") >= 1);
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
    return Archivers.config(topics, "archiver", state, archiveDir, "2s", ", max.poll.interval.ms: \"3000\"");
  }

  private void produce(List<String> ids) throws Exception {
    Archivers.produce(topics, ids.stream().map(id -> record(id, NOON)).toList());
  }

  private static List<String> ids(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> String.format("req-%03d", i)).toList();
  }
}
