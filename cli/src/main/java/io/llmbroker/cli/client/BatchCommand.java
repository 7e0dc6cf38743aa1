package io.llmbroker.cli.client;

import io.llmbroker.client.batch.BatchOptions;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code llm-broker batch submit|status|results}: OpenAI Batch files through the broker. */
@Command(name = "batch", mixinStandardHelpOptions = true,
    description = {"Runs OpenAI Batch JSONL files through the broker.",
        "Results are kept on the batch's reply topic llm.responses.batch-<id> for its retention (7 days by default)"
            + " and, once collected, in the state folder until you delete it."},
    subcommands = {BatchSubmitCommand.class, BatchStatusCommand.class, BatchResultsCommand.class})
public final class BatchCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where batch state lives; shared by the subcommands. */
  static final class StateOptions {
    @Option(names = "--state-dir", paramLabel = "DIR",
        description = "Folder of batch manifests and collected results (default: ~/.llm-broker/batches).")
    Path stateDir;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    Path stateDir() {
      return stateDir != null ? stateDir : BatchOptions.defaultStateDir();
    }

    boolean progress() {
      return !noProgress;
    }
  }
}
