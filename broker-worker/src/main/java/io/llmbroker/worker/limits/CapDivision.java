package io.llmbroker.worker.limits;

import java.util.Set;

/**
 * Splits a deployment's global cap over the request partitions, so that the workers of one
 * consumer group together never exceed it.
 *
 * <p>Partition {@code i} of {@code T} owns {@code floor((i+1)·cap/T) − floor(i·cap/T)} slots:
 * every partition gets {@code floor(cap/T)} or one more, the extra slots are spread evenly over
 * the index range rather than stacked on the lowest indices, and the sum over all partitions
 * is exactly {@code cap}. A worker's lane capacity is the sum over the partitions it owns, so
 * the pool sums to exactly the cap whatever the assignment. Slots follow partitions, not
 * traffic: when load is spread over the partitions (request ids are the keys, so it is) every
 * worker fills its share and the pool uses the whole cap.
 *
 * <p>When {@code cap < T} some partitions own no slot. Spreading keeps every run of
 * {@code ceil(T/cap)} consecutive indices holding at least one slot, so a worker that owns a
 * contiguous block of that size can always call; a worker left with zero slots for a
 * deployment queues that deployment's requests (or falls back to the alias's next deployment)
 * rather than exceed the global cap. Stateless.
 */
public final class CapDivision {

  private CapDivision() {}

  /** Slots owned by partition {@code index} of {@code totalPartitions}. */
  public static long slots(long cap, int index, int totalPartitions) {
    if (totalPartitions < 1) {
      throw new IllegalArgumentException("totalPartitions must be >= 1: " + totalPartitions);
    }
    if (index < 0 || index >= totalPartitions) {
      throw new IllegalArgumentException("partition index must be in [0, " + totalPartitions + "): " + index);
    }
    return Math.floorDiv((index + 1L) * cap, totalPartitions) - Math.floorDiv((long) index * cap, totalPartitions);
  }

  /** Slots owned by a worker holding {@code partitions}. */
  public static long slots(long cap, Set<Integer> partitions, int totalPartitions) {
    long sum = 0;
    for (int i : partitions) {
      sum += slots(cap, i, totalPartitions);
    }
    return sum;
  }
}
