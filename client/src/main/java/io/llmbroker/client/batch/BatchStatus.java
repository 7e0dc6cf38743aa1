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
 * @param done lines with a final outcome
 * @param byStatus outcomes counted by status ({@code OK}, {@code ERROR}, ..., {@code INVALID_LINE})
 * @param costMicros cost of the outcomes so far, in micro-dollars
 * @param perSecond outcomes per second since submission
 * @param eta time left at that rate; empty when nothing finished yet or all did
 */
public record BatchStatus(BatchId batchId, long lines, long enqueued, long done, Map<String, Long> byStatus,
    long costMicros, double perSecond, Optional<Duration> eta) {

  public BatchStatus {
    byStatus = Map.copyOf(byStatus);
  }

  public boolean complete() {
    return lines > 0 && done >= lines;
  }

  public long pending() {
    return Math.max(0, lines - done);
  }
}
