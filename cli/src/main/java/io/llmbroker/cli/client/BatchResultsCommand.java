package io.llmbroker.cli.client;

import io.llmbroker.client.batch.BatchCollector;
import io.llmbroker.client.batch.BatchId;
import io.llmbroker.client.batch.BatchStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker batch results ID -o OUT.jsonl}: the OpenAI Batch output file, in input order. */
@Command(name = "results", mixinStandardHelpOptions = true,
    description = {"Collects the batch's replies and writes the OpenAI Batch output format, one line per input line in input order,"
        + " plus an errors file with the failed lines.",
        "Re-running collects only what is missing."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every line has its result", "3:some lines are still pending; re-run later", "2:bad options or Kafka failure"})
public final class BatchResultsCommand implements Callable<Integer> {

  /** Exit code when lines are still pending. */
  public static final int INCOMPLETE = 3;

  @Mixin
  ClientOptions client;

  @Mixin
  BatchCommand.StateOptions state;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The batch id printed by batch submit.")
  String batchId;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.jsonl", description = "Results file.")
  Path output;

  @Option(names = "--errors", paramLabel = "FILE", description = "Failed lines (default: OUT.errors.jsonl).")
  Path errors;

  @Option(names = "--wait", description = "Keep collecting until every line has its result (or --max-wait passes).")
  boolean await;

  @Option(names = "--max-wait", defaultValue = "24h", converter = DurationConverter.class,
      description = "Longest --wait (default: ${DEFAULT-VALUE}).")
  Duration maxWait;

  @Override
  public Integer call() {
    BatchId id = new BatchId(batchId);
    Path errorsFile = errors != null ? errors : defaultErrors(output);
    BatchStatus status;
    try (BatchCollector collector = BatchCollector.open(client.clientConfig(id.replyService(), System.getenv()), id, state.stateDir())) {
      try (Progress progress = Progress.start(await ? "results" : "collect", await ? "lines" : "replies", state.progress())) {
        status = await ? collector.awaitAll(maxWait, progress) : collector.collect(progress);
      }
      try (Progress progress = Progress.start("write", "lines", state.progress())) {
        status = collector.writeResults(output, errorsFile, progress);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    BatchStatusCommand.print(out, status);
    out.println("results: " + output + " (" + status.done() + " lines), failures: " + errorsFile);
    if (!status.complete()) {
      out.println(status.pending() + " lines are still pending; re-run this command to collect them");
    }
    out.flush();
    return status.complete() ? 0 : INCOMPLETE;
  }

  static Path defaultErrors(Path output) {
    String name = output.getFileName().toString();
    String base = name.endsWith(".jsonl") ? name.substring(0, name.length() - ".jsonl".length()) : name;
    return output.resolveSibling(base + ".errors.jsonl");
  }
}
