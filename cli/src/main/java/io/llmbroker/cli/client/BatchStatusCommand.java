package io.llmbroker.cli.client;

import io.llmbroker.client.batch.BatchCollector;
import io.llmbroker.client.batch.BatchId;
import io.llmbroker.client.batch.BatchStatus;
import io.llmbroker.gateway.batch.GatewayBatchStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker batch status ID}: counts by status, cost so far, rate, ETA. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Collects the replies that arrived and prints counts by status, cost so far, rate and ETA.")
public final class BatchStatusCommand implements Callable<Integer> {

  @Mixin
  ClientOptions client;

  @Mixin
  BatchCommand.StateOptions state;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The batch id printed by batch submit, or a gateway batch id (batch_...).")
  String batchId;

  @Option(names = "--timeout", defaultValue = "5m", converter = DurationConverter.class,
      description = "Longest the collection may take; what was read by then is kept (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    if (GatewayBatchStatus.isGatewayBatch(batchId)) {
      var config = client.clientConfig("batch-status", System.getenv());
      GatewayBatchStatus s = GatewayBatchStatus.read(config.kafkaProperties(), config.topics(), batchId, System.currentTimeMillis())
          .orElseThrow(() -> new IllegalArgumentException("no gateway batch '" + batchId + "'"));
      spec.commandLine().getOut().printf("batch %s (gateway, app %s): %s, %d of %d lines done, %d completed, %d failed%n",
          s.id(), s.app(), s.status(), s.completed() + s.failed(), s.total(), s.completed(), s.failed());
      return 0;
    }
    BatchId id = new BatchId(batchId);
    BatchStatus status;
    try (BatchCollector collector = BatchCollector.open(client.clientConfig(id.replyService(), System.getenv()), id, state.stateDir());
        Progress progress = Progress.start("collect", "replies", state.progress())) {
      status = collector.collect(timeout, progress);
    }
    print(spec.commandLine().getOut(), status);
    return 0;
  }

  static void print(PrintWriter out, BatchStatus s) {
    double percent = s.lines() == 0 ? 0 : 100.0 * s.done() / s.lines();
    out.printf("batch %s: %d of %d lines done (%.1f%%), %d pending, %d enqueued%s%n",
        s.batchId(), s.done(), s.lines(), percent, s.pending(), s.enqueued(),
        s.submitted() ? "" : " (submission not finished: more lines may follow)");
    Map<String, Long> sorted = new TreeMap<>(s.byStatus());
    out.println("  by status: " + (sorted.isEmpty() ? "none yet"
        : sorted.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))));
    out.println("  cost so far: " + Money.usd(s.costMicros()));
    out.printf("  rate: %.1f lines/s, ETA: %s%n", s.perSecond(),
        s.complete() ? "done" : s.eta().map(BatchStatusCommand::human).orElse("unknown"));
    out.flush();
  }

  private static String human(Duration d) {
    long seconds = d.toSeconds();
    return seconds < 120 ? seconds + "s" : seconds < 7200 ? (seconds / 60) + "m" : (seconds / 3600) + "h" + (seconds % 3600 / 60) + "m";
  }
}
