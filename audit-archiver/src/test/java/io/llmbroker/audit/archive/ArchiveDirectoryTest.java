package io.llmbroker.audit.archive;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.AuditArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
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
  void highestArchivedOffsetIsPerPartition() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root, new AvroContainerFormat());
    dir.write(DAY, 0, 0, 9, List.of(record("a", Instant.EPOCH)));
    dir.write(DAY.plusDays(1), 0, 10, 12, List.of(record("b", Instant.EPOCH)));
    dir.write(DAY, 1, 0, 3, List.of(record("c", Instant.EPOCH)));

    assertThat(dir.highestArchivedOffset(0)).hasValue(12);
    assertThat(dir.highestArchivedOffset(1)).hasValue(3);
    assertThat(dir.highestArchivedOffset(2)).isEmpty();
    assertThat(AuditArchive.count(root)).isEqualTo(3);
  }

  @Test
  void leftoverTempFilesAreNeitherReadNorKept() throws Exception {
    ArchiveDirectory dir = new ArchiveDirectory(root, new AvroContainerFormat());
    dir.write(DAY, 0, 0, 0, List.of(record("a", Instant.EPOCH)));
    Path temp = root.resolve("date=2026-11-23/.part-0-1-5.avro.tmp");
    Files.write(temp, new byte[] {1, 2, 3});

    long counted = AuditArchive.count(root);
    dir.removeTemporaryFiles(0);

    assertThat(counted).isEqualTo(1);
    assertThat(temp).doesNotExist();
    assertThat(dir.highestArchivedOffset(0)).hasValue(0);
  }
}
