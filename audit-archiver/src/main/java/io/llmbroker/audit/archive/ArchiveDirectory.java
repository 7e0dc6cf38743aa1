package io.llmbroker.audit.archive;

import io.llmbroker.avro.AuditRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * The archive on disk: {@code <root>/date=YYYY-MM-DD/part-<partition>-<first>-<last>.<ext>}.
 *
 * <p>A part file appears whole or not at all: it is written under a hidden temp name, forced to
 * disk, renamed atomically and the folder is forced too. Part files are never modified once
 * renamed. Readers ignore temp files. Safe for one writer per input partition and any number of
 * readers.
 */
public final class ArchiveDirectory {

  private static final String TEMP_PREFIX = ".";
  private static final String TEMP_SUFFIX = ".tmp";

  private final Path root;
  private final ArchiveFormat format;

  public ArchiveDirectory(Path root, ArchiveFormat format) {
    this.root = root;
    this.format = format;
  }

  public Path root() {
    return root;
  }

  public ArchiveFormat format() {
    return format;
  }

  /**
   * Every part file, ordered by date, partition and first offset; empty when the archive does not
   * exist yet.
   *
   * @throws UncheckedIOException when the archive cannot be listed
   */
  public List<PartFile> parts() {
    List<PartFile> parts = new ArrayList<>();
    try (DirectoryStream<Path> dates = Files.newDirectoryStream(root, "date=*")) {
      for (Path date : dates) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(date, "part-*" + format.extension())) {
          files.forEach(f -> PartFile.parse(f).ifPresent(parts::add));
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the archive " + root + ": " + e.getMessage(), e);
    }
    parts.sort(Comparator.comparing(PartFile::date).thenComparingInt(PartFile::partition)
        .thenComparingLong(PartFile::firstOffset));
    return parts;
  }

  /** The highest input offset of {@code partition} in any part file; empty when none is archived. */
  public OptionalLong highestArchivedOffset(int partition) {
    return parts().stream().filter(p -> p.partition() == partition).mapToLong(PartFile::lastOffset).max();
  }

  /**
   * Writes one part file atomically and durably. An existing file of the same name (the same
   * offsets written again by an instance that lost its partition) is replaced by the same content.
   *
   * @throws IOException when the file cannot be written; no part file is left then
   */
  public PartFile write(LocalDate date, int partition, long firstOffset, long lastOffset, List<AuditRecord> records)
      throws IOException {
    Path folder = root.resolve(PartFile.dateFolder(date));
    boolean newFolder = !Files.isDirectory(folder);
    Files.createDirectories(folder);
    String name = PartFile.name(partition, firstOffset, lastOffset, format.extension());
    Path temp = folder.resolve(TEMP_PREFIX + name + TEMP_SUFFIX);
    Path target = folder.resolve(name);
    Files.deleteIfExists(temp);
    try {
      format.write(records, temp);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    forceFolder(folder);
    if (newFolder) {
      forceFolder(root);
    }
    return new PartFile(target, date, partition, firstOffset, lastOffset);
  }

  /** Deletes temp files a crashed writer of {@code partition} left behind. */
  public void removeTemporaryFiles(int partition) throws IOException {
    String prefix = TEMP_PREFIX + "part-" + partition + "-";
    try (DirectoryStream<Path> dates = Files.newDirectoryStream(root, "date=*")) {
      for (Path date : dates) {
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(date, prefix + "*" + TEMP_SUFFIX)) {
          for (Path temp : temps) {
            Files.deleteIfExists(temp);
          }
        }
      }
    } catch (NoSuchFileException e) {
      // No archive yet, so nothing was left behind.
    }
  }

  /** Makes a rename inside {@code folder} durable (POSIX needs the folder itself synced). */
  private static void forceFolder(Path folder) throws IOException {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
