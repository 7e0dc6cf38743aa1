package io.llmbroker.worker.offsets;

import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * The offsets of one partition's records between poll and completion, so that records may
 * complete in any order while the committed offset never passes one that is not complete.
 *
 * <p>A record is <em>in flight</em> from {@link #started} until {@link #completed} or
 * {@link #failed}. A failed record is no longer in flight, but it holds the commit back
 * forever: it is read again after a restart or a rebalance (at least once, never lost).
 *
 * <p>Not thread-safe: owned by the consumer thread.
 */
public final class PartitionOffsets {

  private final TreeSet<Long> inFlight = new TreeSet<>();
  private final TreeSet<Long> failed = new TreeSet<>();
  private long next = -1;
  private long committed = -1;

  /** Records that {@code offset} was polled and handed on. */
  public void started(long offset) {
    inFlight.add(offset);
    next = Math.max(next, offset + 1);
  }

  /** Records that every output of {@code offset} was acknowledged. */
  public void completed(long offset) {
    inFlight.remove(offset);
  }

  /** Records that {@code offset} could not be completed; the commit stays below it. */
  public void failed(long offset) {
    if (inFlight.remove(offset)) {
      failed.add(offset);
    }
  }

  public int inFlightCount() {
    return inFlight.size();
  }

  /**
   * The offset to commit: the lowest one not complete, or one past the highest started when
   * all are complete. Empty before the first record.
   */
  public OptionalLong committable() {
    if (next < 0) {
      return OptionalLong.empty();
    }
    long lowest = next;
    if (!inFlight.isEmpty()) {
      lowest = Math.min(lowest, inFlight.first());
    }
    if (!failed.isEmpty()) {
      lowest = Math.min(lowest, failed.first());
    }
    return OptionalLong.of(lowest);
  }

  /** The committable offset when it is ahead of the last one committed. */
  public OptionalLong toCommit() {
    OptionalLong offset = committable();
    return offset.isPresent() && offset.getAsLong() > committed ? offset : OptionalLong.empty();
  }

  /** Records that the broker accepted a commit of {@code offset}. */
  public void committed(long offset) {
    committed = Math.max(committed, offset);
  }
}
