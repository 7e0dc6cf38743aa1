package io.llmbroker.audit.archive;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.audit.archive.ArchiveDirectory.Commit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveDirectoryTest {

  private static final LocalDate DAY = LocalDate.parse("2026-11-23");

  @TempDir Path root;

  @Test
  void archiveThatDoesNotExistYetReadsAsEmpty() {
    assertThat(AuditArchive.count(root.resolve("absent"))).isZero();
  }

  @Test
  void aSlotIsCommittedOnceAndTheLoserLearnsWhereTheChainEnds() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root);

    Commit first = dir.commit(DAY, 0, 0, records(0, 9));
    Commit second = dir.commit(DAY, 0, 0, records(0, 4));

    assertThat(first).isInstanceOf(Commit.Written.class);
    assertThat(second).isEqualTo(new Commit.Lost(9));
    assertThat(AuditArchive.count(root)).isEqualTo(10);
  }

  @Test
  void chainEndIsPerPartitionAndCrossesDates() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root);
    dir.commit(DAY, 0, 0, records(0, 9));
    dir.commit(DAY.plusDays(1), 0, 10, records(10, 12));
    dir.commit(DAY, 1, 0, records(0, 3));

    assertThat(dir.chainEnd(0)).isEqualTo(12);
    assertThat(dir.chainEnd(1)).isEqualTo(3);
    assertThat(dir.chainEnd(2)).isEqualTo(-1);
  }

  @Test
  void chainEndWalksPastAStaleHighWaterMark() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root);
    dir.commit(DAY, 0, 0, records(0, 9));
    Path hint = root.resolve("_archiver/partition-0.hwm");
    String stale = Files.readString(hint);
    dir.commit(DAY, 0, 10, records(10, 19));
    // As if the writer crashed between linking its file and updating the hint.
    Files.writeString(hint, stale);

    assertThat(dir.chainEnd(0)).isEqualTo(19);
  }

  @Test
  void aNewOwnerFencesTheOldOne() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root);
    dir.takeOwnership(0, "old");

    dir.takeOwnership(0, "new");

    assertThat(dir.owns(0, "old")).isFalse();
    assertThat(dir.owns(0, "new")).isTrue();
  }

  @Test
  void leftoverTempFilesAreNeitherReadNorKept() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root);
    dir.commit(DAY, 0, 0, records(0, 0));
    Path temp = root.resolve("date=2026-11-23/.part-0-00000000000000000001.parquet.abc.tmp");
    Files.write(temp, new byte[] {1, 2, 3});

    long counted = AuditArchive.count(root);
    dir.removeTemporaryFiles(0);

    assertThat(counted).isEqualTo(1);
    assertThat(temp).doesNotExist();
    assertThat(dir.chainEnd(0)).isZero();
  }

  private static List<ArchivedRecord> records(long from, long to) {
    return LongStream.rangeClosed(from, to)
        .mapToObj(o -> new ArchivedRecord(o, record("r" + o, Instant.parse("2026-11-23T12:00:00Z")))).toList();
  }
}
