package io.llmbroker.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine.Option;

/**
 * Options every benchmark shares: where the broker is, and where the result block goes.
 * A picocli mixin; one instance per command invocation.
 */
final class BenchOptions {

  @Option(names = "--bootstrap-servers",
      description = "Use this running broker instead of starting or reusing the local one.")
  String bootstrapServers;

  @Option(names = "--data-dir", defaultValue = ".llm-broker",
      description = "Data folder of the local broker (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--kafka-port", defaultValue = "9092", description = "Local broker port (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(names = "--controller-port", defaultValue = "9093",
      description = "Local KRaft controller port (default: ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(names = "--markdown-out",
      description = "Also append the result block to this file.")
  Path markdownOut;

  /** Prints the block, and appends it to {@code --markdown-out} when given. */
  void publish(ResultBlock block, PrintStream out) {
    String markdown = block.markdown();
    out.println();
    out.println(markdown);
    if (markdownOut != null) {
      try {
        Files.writeString(markdownOut, markdown + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append the result to " + markdownOut + ": " + e.getMessage(), e);
      }
    }
  }
}
