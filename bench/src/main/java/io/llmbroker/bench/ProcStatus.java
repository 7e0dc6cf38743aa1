package io.llmbroker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory of a Linux process from {@code /proc/<pid>/status}: the resident set now
 * ({@code VmRSS}) and its peak ({@code VmHWM}). Stateless.
 */
final class ProcStatus {

  /** Resident memory of a process, in bytes. */
  record Memory(long rssBytes, long peakRssBytes) {}

  private ProcStatus() {}

  /** The memory of process {@code pid}; empty when it has exited or this is not Linux. */
  static Optional<Memory> read(long pid) {
    try {
      String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
      OptionalLong rss = kilobytes(status, "VmRSS");
      OptionalLong hwm = kilobytes(status, "VmHWM");
      if (rss.isEmpty() || hwm.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new Memory(rss.getAsLong() * 1024, hwm.getAsLong() * 1024));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The value of a {@code Field:   1234 kB} line of a /proc text, in kB. */
  static OptionalLong kilobytes(String procText, String field) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(field) + ":\\s+(\\d+)\\s+kB$").matcher(procText);
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }
}
