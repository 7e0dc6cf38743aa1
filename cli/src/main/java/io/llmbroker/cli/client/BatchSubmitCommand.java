package io.llmbroker.cli.client;

import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.batch.BatchFileValidation;
import io.llmbroker.client.batch.BatchId;
import io.llmbroker.client.batch.BatchOptions;
import io.llmbroker.client.batch.BatchSubmitter;
import io.llmbroker.client.batch.LineError;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llm-broker batch submit FILE.jsonl --team T}: validates the whole file, then enqueues it. */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = {"Validates an OpenAI Batch JSONL file (every bad line reported by number), then enqueues it and prints the batch id.",
        "Re-running with the same --batch-id and the same file resumes: nothing is enqueued twice."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:enqueued", "1:invalid lines, nothing enqueued", "2:bad options, configuration or Kafka failure"})
public final class BatchSubmitCommand implements Callable<Integer> {

  @Mixin
  ClientOptions client;

  @Mixin
  BatchCommand.StateOptions state;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE.jsonl", description = "OpenAI Batch input: custom_id, method, url, body per line.")
  Path file;

  @Option(names = "--team", required = true, description = "Team charged for the batch.")
  String team;

  @Option(names = "--app", defaultValue = "batch", description = "App named in every request (default: ${DEFAULT-VALUE}).")
  String app;

  @Option(names = "--priority", defaultValue = "batch", description = "interactive, standard or batch (default: ${DEFAULT-VALUE}).")
  String priority;

  @Option(names = "--model", description = "Model alias for every line, instead of each body's model.")
  String model;

  @Option(names = "--batch-id", description = "Batch id; a new one is generated when absent. Re-use one to resume.")
  String batchId;

  @Option(names = "--skip-invalid", description = "Enqueue the valid lines even when some are invalid (they are reported as failed results).")
  boolean skipInvalid;

  @Option(names = "--completion-window", defaultValue = "24h", converter = DurationConverter.class,
      description = "Deadline of every request after it is enqueued (default: ${DEFAULT-VALUE}).")
  Duration completionWindow;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("cannot read batch file " + file);
    }
    BatchFileValidation validation;
    try (Progress progress = Progress.start("validate", "B", state.progress())) {
      validation = BatchFileValidation.validate(file, model == null, progress);
    }
    for (LineError e : validation.errors()) {
      err.println(file.getFileName() + ":" + e);
    }
    err.flush();
    if (!validation.valid() && !skipInvalid) {
      err.println("llm-broker: " + validation.errors().size() + " of " + validation.lines()
          + " lines are invalid; nothing was enqueued (fix them, or pass --skip-invalid)");
      return 1;
    }
    BatchOptions options = new BatchOptions(batchId != null ? new BatchId(batchId) : BatchId.generate(Clock.systemUTC()),
        team, app, SubmitCommand.parsePriority(priority), model, completionWindow, state.stateDir());
    ClientConfig config = client.clientConfig(options.batchId().replyService(), System.getenv());
    BatchSubmitter.SubmitReport report;
    try (BatchSubmitter submitter = BatchSubmitter.open(config, options);
        Progress progress = Progress.start("enqueue", "req", state.progress())) {
      report = submitter.submitFile(validation, skipInvalid, progress);
    }
    out.println("batch " + report.batchId() + ": " + report.enqueued() + " requests enqueued"
        + (report.alreadyEnqueued() > 0 ? ", " + report.alreadyEnqueued() + " lines already enqueued by an earlier run" : "")
        + (report.invalid() > 0 ? ", " + report.invalid() + " invalid lines recorded as failures" : "")
        + "; replies on " + report.replyTopic());
    out.println(report.batchId());
    out.flush();
    return 0;
  }
}
