package io.llmbroker.client.batch;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where a batch stands, from the results collected so far. Immutable.
 *
 * @param batchId the batch
 * @param lines input lines
 * @param enqueued lines acknowledged by Kafka (or recorded as invalid)
 * @param submitted whether the submission finished: every line is enqueued and {@code lines} is final
 * @param done lines with a final outcome
 * @param byStatus outcomes counted by status ({@code OK}, {@code ERROR}, ..., {@code INVALID_LINE})
 * @param costMicros cost of the outcomes so far, in micro-dollars
 * @param perSecond outcomes per second since submission
 * @param eta time left at that rate; empty when nothing finished yet or all did
 */
public record BatchStatus(BatchId batchId, long lines, long enqueued, boolean submitted, long done, Map<String, Long> byStatus,
    long costMicros, double perSecond, Optional<Duration> eta) {

  public BatchStatus {
    byStatus = Map.copyOf(byStatus);
  }

  /** Every line of a finished submission has its outcome. */
  public boolean complete() {
    return submitted && lines > 0 && done >= lines;
  }

  public long pending() {
    return Math.max(0, lines - done);
  }
}
