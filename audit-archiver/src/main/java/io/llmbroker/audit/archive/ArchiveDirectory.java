package io.llmbroker.audit.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The archive on a shared POSIX file system:
 * {@code <root>/date=YYYY-MM-DD/part-<partition>-<slot>.parquet} plus, per partition, a
 * high-water-mark hint and an owner token under {@code <root>/_archiver/}.
 *
 * <p><b>The commit protocol.</b> The files of one partition form a chain: a file's slot is the
 * previous file's last offset + 1. A writer commits a file by hard-linking its synced temp file
 * to the slot's name, which fails atomically when the name exists ({@code link(2)}, unlike
 * {@code rename(2)}, never replaces). So for each slot exactly one file ever exists, and a writer
 * that loses a slot learns where the chain now ends ({@link Commit#Lost}) instead of writing an
 * overlapping file. The records for a slot are the same whoever writes them (the input is
 * immutable and the archiver's decisions replay identically), hence two instances sharing the
 * archive, a zombie included, can neither duplicate nor lose a record. The owner token narrows
 * what a zombie does further: it stops writing once a new owner has taken the partition.
 *
 * <p>Thread-safe; any number of readers. Readers ignore temp files (they start with a dot).
 */
public final class ArchiveDirectory {

  private static final String TEMP_PREFIX = ".";
  private static final String TEMP_SUFFIX = ".tmp";
  private static final String STATE_FOLDER = "_archiver";

  private final Path root;
  private final ParquetParts parquet = new ParquetParts();

  public ArchiveDirectory(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** How a commit ended. */
  public sealed interface Commit {
    /** The file is in the archive. */
    record Written(PartFile file, long lastOffset) implements Commit {}

    /** Another writer holds the slot; the chain now ends at {@code lastOffset}. */
    record Lost(long lastOffset) implements Commit {}
  }

  /**
   * Every part file, ordered by date, partition and slot; empty when the archive does not exist.
   *
   * @throws UncheckedIOException when the archive cannot be listed
   */
  public List<PartFile> parts() {
    List<PartFile> parts = new ArrayList<>();
    for (Path date : dateFolders()) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(date, "part-*" + ParquetParts.EXTENSION)) {
        files.forEach(f -> PartFile.parse(f).ifPresent(parts::add));
      } catch (NoSuchFileException e) {
        // Removed by retention while listing.
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + date + ": " + e.getMessage(), e);
      }
    }
    parts.sort(Comparator.comparing(PartFile::date).thenComparingInt(PartFile::partition)
        .thenComparingLong(PartFile::slot));
    return parts;
  }

  /**
   * The last input offset of {@code partition} in the archive, -1 when none: the end of its
   * chain, walked forward from the high-water-mark hint so that a restart reads a few names
   * instead of listing every file ever written.
   *
   * @throws IOException when the archive cannot be read
   */
  public long chainEnd(int partition) throws IOException {
    Optional<Hint> hint = readHint(partition);
    long last;
    LocalDate from;
    if (hint.isPresent()) {
      last = hint.get().lastOffset();
      from = hint.get().date();
    } else {
      // No hint (a new archive, or one from before hints): one full listing, then the walk.
      Optional<PartFile> newest = parts().stream().filter(p -> p.partition() == partition)
          .max(Comparator.comparingLong(PartFile::slot));
      if (newest.isEmpty()) {
        return -1;
      }
      last = lastOffset(newest.get().path());
      from = newest.get().date();
    }
    Optional<PartFile> next;
    while ((next = find(partition, last + 1, from)).isPresent()) {
      last = lastOffset(next.get().path());
      from = next.get().date();
    }
    return last;
  }

  /**
   * Writes {@code records} (ascending offsets, all above {@code slot - 1}, of one UTC date) as
   * the file of {@code slot}, unless another writer already holds that slot.
   *
   * @throws IOException when the file cannot be written; no part file is left then
   */
  public Commit commit(LocalDate date, int partition, long slot, List<ArchivedRecord> records) throws IOException {
    Path folder = root.resolve(PartFile.dateFolder(date));
    boolean newFolder = !Files.isDirectory(folder);
    Files.createDirectories(folder);
    String name = PartFile.name(partition, slot);
    Path target = folder.resolve(name);
    Optional<PartFile> taken = find(partition, slot, date);
    if (taken.isPresent()) {
      return new Commit.Lost(lastOffset(taken.get().path()));
    }
    Path temp = folder.resolve(TEMP_PREFIX + name + "." + UUID.randomUUID() + TEMP_SUFFIX);
    try {
      parquet.write(partition, records, temp);
      Files.createLink(target, temp);
    } catch (FileAlreadyExistsException e) {
      return new Commit.Lost(lastOffset(target));
    } finally {
      Files.deleteIfExists(temp);
    }
    forceFolder(folder);
    if (newFolder) {
      forceFolder(root);
    }
    long last = records.get(records.size() - 1).offset();
    writeHint(partition, new Hint(last, date));
    return new Commit.Written(new PartFile(target, date, partition, slot), last);
  }

  /** Makes {@code token} the owner of {@code partition}: writers holding another token stop writing. */
  public void takeOwnership(int partition, String token) throws IOException {
    replace(stateFile(partition, ".owner"), token);
  }

  /** True unless another token has taken {@code partition} since {@code token} did. */
  public boolean owns(int partition, String token) throws IOException {
    try {
      return Files.readString(stateFile(partition, ".owner")).equals(token);
    } catch (NoSuchFileException e) {
      return true;
    }
  }

  /** Deletes temp files a crashed writer of {@code partition} left behind. */
  public void removeTemporaryFiles(int partition) throws IOException {
    String prefix = TEMP_PREFIX + "part-" + partition + "-";
    for (Path date : dateFolders()) {
      try (DirectoryStream<Path> temps = Files.newDirectoryStream(date, prefix + "*" + TEMP_SUFFIX)) {
        for (Path temp : temps) {
          Files.deleteIfExists(temp);
        }
      } catch (NoSuchFileException e) {
        // Removed by retention meanwhile.
      }
    }
  }

  /**
   * Deletes the date folders before {@code oldestKept}, whole.
   *
   * @return the dates deleted
   * @throws IOException when a folder cannot be deleted
   */
  public List<LocalDate> deleteBefore(LocalDate oldestKept) throws IOException {
    List<LocalDate> deleted = new ArrayList<>();
    for (Path folder : dateFolders()) {
      Optional<LocalDate> date = dateOf(folder);
      if (date.isPresent() && date.get().isBefore(oldestKept)) {
        deleteTree(folder);
        deleted.add(date.get());
      }
    }
    return deleted;
  }

  /** The highest {@code kafka_offset} in a part file. */
  static long lastOffset(Path file) throws IOException {
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement();
        // Answered from the Parquet footer's statistics, without reading the rows.
        ResultSet rs = statement.executeQuery("SELECT max(kafka_offset) FROM read_parquet("
            + ParquetParts.quote(file) + ")")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The file of {@code slot}, looked for in the date folders from {@code from} on. */
  private Optional<PartFile> find(int partition, long slot, LocalDate from) {
    String name = PartFile.name(partition, slot);
    return dateFolders().stream()
        .filter(folder -> dateOf(folder).map(d -> !d.isBefore(from)).orElse(false))
        .map(folder -> folder.resolve(name))
        .filter(Files::exists)
        .findFirst()
        .flatMap(PartFile::parse);
  }

  private List<Path> dateFolders() {
    try (Stream<Path> folders = Files.list(root)) {
      return folders.filter(p -> dateOf(p).isPresent()).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the archive " + root + ": " + e.getMessage(), e);
    }
  }

  private static Optional<LocalDate> dateOf(Path folder) {
    String name = folder.getFileName().toString();
    if (!name.startsWith("date=")) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDate.parse(name.substring("date=".length())));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Where a partition's chain ended when last committed here: a starting point, possibly stale. */
  private record Hint(long lastOffset, LocalDate date) {}

  private Optional<Hint> readHint(int partition) throws IOException {
    try {
      String[] fields = Files.readString(stateFile(partition, ".hwm")).trim().split(" ");
      return Optional.of(new Hint(Long.parseLong(fields[0]), LocalDate.parse(fields[1])));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (RuntimeException e) {
      // A damaged hint costs one full listing, nothing else.
      return Optional.empty();
    }
  }

  private void writeHint(int partition, Hint hint) throws IOException {
    replace(stateFile(partition, ".hwm"), hint.lastOffset() + " " + hint.date());
  }

  private Path stateFile(int partition, String suffix) {
    return root.resolve(STATE_FOLDER).resolve("partition-" + partition + suffix);
  }

  /** Replaces a small state file atomically (no reader sees it half written). */
  private static void replace(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Path temp = file.resolveSibling(TEMP_PREFIX + file.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
    try {
      Files.writeString(temp, content, StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void deleteTree(Path folder) throws IOException {
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (NoSuchFileException e) {
      // Another archiver deleted it first.
    }
  }

  /** Makes a link inside {@code folder} durable (POSIX needs the folder itself synced). */
  private static void forceFolder(Path folder) throws IOException {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
