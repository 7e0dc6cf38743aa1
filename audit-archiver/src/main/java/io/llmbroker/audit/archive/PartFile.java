package io.llmbroker.audit.archive;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One immutable archive file, {@code date=YYYY-MM-DD/part-<partition>-<slot>.parquet}: audit
 * records of one input partition recorded on one UTC date, from input offset {@code slot} on. The
 * slot is the previous file's last offset + 1, so the files of a partition form a chain without
 * gaps or overlaps; the last offset of a file is the highest {@code kafka_offset} in it.
 */
public record PartFile(Path path, LocalDate date, int partition, long slot) {

  private static final Pattern NAME = Pattern.compile("part-(\\d+)-(\\d+)\\.parquet");

  /** The file name for a slot; zero-padded so that names sort in offset order. */
  static String name(int partition, long slot) {
    return String.format("part-%d-%020d%s", partition, slot, ParquetParts.EXTENSION);
  }

  /** The date folder's name. */
  static String dateFolder(LocalDate date) {
    return "date=" + date;
  }

  /** Reads a part file's place from its path; empty for anything else (temp files included). */
  static Optional<PartFile> parse(Path path) {
    Matcher m = NAME.matcher(path.getFileName().toString());
    Path folder = path.getParent();
    if (!m.matches() || folder == null || !folder.getFileName().toString().startsWith("date=")) {
      return Optional.empty();
    }
    try {
      LocalDate date = LocalDate.parse(folder.getFileName().toString().substring("date=".length()));
      return Optional.of(new PartFile(path, date, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2))));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
