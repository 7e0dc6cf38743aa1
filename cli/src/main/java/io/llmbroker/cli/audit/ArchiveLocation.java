package io.llmbroker.cli.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * {@code --archive DIR}, or where the archive most likely is: {@code $LLM_BROKER_AUDIT_DIR}, else
 * the newest of {@code .llm-broker/runs/<run>/audit} ({@code llm-broker demo}) and
 * {@code .llm-broker/audit} ({@code llm-broker local}), else {@code ./data/audit} (the archiver's
 * bundled default).
 */
public final class ArchiveLocation {

  @Option(names = "--archive", paramLabel = "DIR",
      description = "The archive's folder (default: $LLM_BROKER_AUDIT_DIR, else the newest demo or local run's, "
          + "else ./data/audit).")
  Path archive;

  /** The folder to read. */
  public Path resolve() {
    return archive != null ? archive : defaultFor(Path.of(""), System.getenv());
  }

  static Path defaultFor(Path workingDir, Map<String, String> env) {
    String fromEnv = env.get("LLM_BROKER_AUDIT_DIR");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    Path home = workingDir.resolve(".llm-broker");
    Stream<Path> runs = Files.isDirectory(home.resolve("runs")) ? list(home.resolve("runs")) : Stream.empty();
    Optional<Path> newest = Stream.concat(runs.map(r -> r.resolve("audit")), Stream.of(home.resolve("audit")))
        .filter(Files::isDirectory)
        .max(Comparator.comparing(ArchiveLocation::modified));
    return newest.orElse(workingDir.resolve("data").resolve("audit"));
  }

  private static Stream<Path> list(Path folder) {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
