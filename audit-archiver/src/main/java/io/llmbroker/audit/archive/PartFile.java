package io.llmbroker.audit.archive;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One immutable archive file, {@code date=YYYY-MM-DD/part-<partition>-<firstOffset>-<lastOffset><ext>}:
 * the audit records of one input partition between two offsets (inclusive) recorded on one UTC date.
 */
public record PartFile(Path path, LocalDate date, int partition, long firstOffset, long lastOffset) {

  private static final Pattern NAME = Pattern.compile("part-(\\d+)-(\\d+)-(\\d+)\\.[a-z]+");

  /** The file name for these offsets. */
  static String name(int partition, long firstOffset, long lastOffset, String extension) {
    return "part-" + partition + "-" + firstOffset + "-" + lastOffset + extension;
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
      return Optional.of(new PartFile(path, date, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)),
          Long.parseLong(m.group(3))));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
