package io.llmbroker.audit;

import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.archive.AvroContainerFormat;
import io.llmbroker.audit.archive.PartFile;
import io.llmbroker.avro.AuditRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads the audit archive the archiver writes: counts it, lists its files, iterates its records
 * in file order (date, partition, offset). Reading while the archiver writes is safe: a file is
 * seen whole or not at all. The JVM needs {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.llmbroker.avro}.
 *
 * <p>Every method throws {@link UncheckedIOException} when the archive cannot be read; an archive
 * folder that does not exist yet reads as empty.
 */
public final class AuditArchive {

  private AuditArchive() {}

  /** How many records the archive under {@code archiveDir} holds. */
  public static long count(Path archiveDir) {
    ArchiveDirectory archive = open(archiveDir);
    long n = 0;
    for (PartFile part : archive.parts()) {
      try {
        n += archive.format().count(part.path());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + part.path() + ": " + e.getMessage(), e);
      }
    }
    return n;
  }

  /** The archive's files, ordered by date, partition and first offset. */
  public static List<PartFile> files(Path archiveDir) {
    return open(archiveDir).parts();
  }

  /** Calls {@code action} with every archived record, file by file. */
  public static void forEach(Path archiveDir, Consumer<AuditRecord> action) {
    ArchiveDirectory archive = open(archiveDir);
    for (PartFile part : archive.parts()) {
      try {
        archive.format().read(part.path(), action);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + part.path() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Every archived record, in memory: for tests and small archives. */
  public static List<AuditRecord> readAll(Path archiveDir) {
    List<AuditRecord> records = new ArrayList<>();
    forEach(archiveDir, records::add);
    return records;
  }

  private static ArchiveDirectory open(Path archiveDir) {
    return new ArchiveDirectory(archiveDir, new AvroContainerFormat());
  }
}
