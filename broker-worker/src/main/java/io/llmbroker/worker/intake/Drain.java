package io.llmbroker.worker.intake;

import io.llmbroker.worker.offsets.OffsetTracker;
import java.time.Duration;
import java.util.Collection;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets partitions go, on a revoke or a shutdown, once the caller has shrunk this worker's share
 * of every cap: withdraws at once what has not reached a provider or a topic (the next owner
 * serves it from the committed offset without a duplicate call), then waits, at most the drain
 * timeout, for the rest, the calls in progress and the outputs being acknowledged, and for every
 * lane to be back within its new share (so that, once the partitions move, this worker and the
 * new owner never use more than the cap between them). Past the timeout what is left is
 * abandoned: its calls run out unused and the next owner serves those requests again.
 *
 * <p>Not thread-safe: runs on the consumer thread.
 */
final class Drain {

  private static final Logger log = LoggerFactory.getLogger(Drain.class);
  /** How often the lanes' shares are looked at while no record completes: a call ending frees a slot without a completion. */
  private static final Duration STEP = Duration.ofMillis(20);

  /** Applies the completions that arrive within a wait. */
  @FunctionalInterface
  interface Completions {
    void await(Duration wait);
  }

  private final PendingWork pending;
  private final OffsetTracker tracker;
  private final BooleanSupplier withinShares;
  private final Completions completions;
  private final Duration timeout;

  Drain(PendingWork pending, OffsetTracker tracker, BooleanSupplier withinShares, Completions completions, Duration timeout) {
    this.pending = pending;
    this.tracker = tracker;
    this.withinShares = withinShares;
    this.completions = completions;
    this.timeout = timeout;
  }

  /** @return true when everything left finished in time, false when some was abandoned */
  boolean of(Collection<TopicPartition> partitions, String reason) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    int withdrawn = pending.withdraw(partitions);
    completions.await(Duration.ZERO);
    while (tracker.inFlight(partitions) > 0 || !withinShares.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        log.warn("event=drain_timeout reason={} partitions={} withdrawn={} abandoned={} within_shares={}", reason,
            partitions.size(), withdrawn, tracker.inFlight(partitions), withinShares.getAsBoolean());
        pending.abandon(partitions);
        completions.await(Duration.ZERO);
        return false;
      }
      completions.await(Duration.ofNanos(Math.min(left, STEP.toNanos())));
    }
    log.info("event=drained reason={} partitions={} withdrawn={} waited_ms={}", reason, partitions.size(), withdrawn,
        (System.nanoTime() - start) / 1_000_000);
    return true;
  }
}
