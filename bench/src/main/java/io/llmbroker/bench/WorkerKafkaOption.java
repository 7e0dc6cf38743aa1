package io.llmbroker.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * {@code --worker-kafka KEY=VALUE}: Kafka client settings for the benchmarked workers'
 * {@code kafka:} section, over the product's. A picocli mixin; one instance per command invocation.
 */
final class WorkerKafkaOption {

  @Option(names = "--worker-kafka", paramLabel = "KEY=VALUE",
      description = "A Kafka client setting for the worker's kafka: section, e.g. linger.ms=0 or"
          + " group.protocol=consumer (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  /** The settings as they were given, for a result block's command line: {@code " --worker-kafka k=v"} each. */
  String asArguments() {
    return settings.entrySet().stream().map(e -> " --worker-kafka " + e.getKey() + "=" + e.getValue()).collect(Collectors.joining());
  }
}
