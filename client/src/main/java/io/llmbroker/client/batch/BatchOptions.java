package io.llmbroker.client.batch;

import io.llmbroker.avro.Priority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a batch is submitted. Immutable.
 *
 * @param batchId the batch; re-using one resumes it
 * @param team team charged for every line
 * @param app app named in every request
 * @param priority request topic; {@code BATCH} normally
 * @param model model alias for every line, overriding the bodies' {@code model}; null to use the bodies'
 * @param completionWindow each request's deadline is its enqueue time plus this
 * @param stateDir where the batch's manifest and collected results live
 */
public record BatchOptions(BatchId batchId, String team, String app, Priority priority, String model,
    Duration completionWindow, Path stateDir) {

  /** The default state folder: {@code ~/.llm-broker/batches}. */
  public static Path defaultStateDir() {
    return Path.of(System.getProperty("user.home"), ".llm-broker", "batches");
  }

  public BatchOptions {
    Objects.requireNonNull(batchId, "batchId");
    if (team == null || team.isBlank()) {
      throw new IllegalArgumentException("team must not be blank: '" + team + "'");
    }
    app = app == null || app.isBlank() ? "batch" : app;
    priority = priority == null ? Priority.BATCH : priority;
    completionWindow = completionWindow == null ? Duration.ofHours(24) : completionWindow;
    if (completionWindow.isNegative() || completionWindow.isZero()) {
      throw new IllegalArgumentException("completion window must be > 0: " + completionWindow);
    }
    stateDir = stateDir == null ? defaultStateDir() : stateDir;
  }
}
