package io.llmbroker.bench;

import io.llmbroker.avro.LlmResponse;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Tells from the replies when a killed worker's request partitions are served again: for each
 * of them, the first reply completed after the kill (its {@code completed_at}) to a request of
 * that partition, duplicates included, as re-serving uncommitted work is serving. The worker was
 * dead at the kill time given, so such a reply came from the partition's new owner.
 *
 * <p>Thread-safe: the reply reader calls {@link #onResponse}, the benchmark arms and reads.
 */
final class PartitionRecovery implements ReplyCounter.Listener {

  private final int partitions;
  private final Map<Integer, Long> servedAgainAt = new TreeMap<>();
  private Set<Integer> watched = Set.of();
  private long killedAtMillis = Long.MAX_VALUE;

  /** @param partitions how many partitions the request topic has */
  PartitionRecovery(int partitions) {
    this.partitions = partitions;
  }

  /** Starts watching {@code victimPartitions} for replies completed at or after {@code killedAtMillis} (epoch millis). */
  synchronized void arm(long killedAtMillis, Set<Integer> victimPartitions) {
    this.killedAtMillis = killedAtMillis;
    this.watched = Set.copyOf(victimPartitions);
    servedAgainAt.clear();
  }

  @Override
  public synchronized void onResponse(LlmResponse response, long receivedAtNanos, boolean repeat) {
    if (response.getCompletedAt() < killedAtMillis) {
      return;
    }
    int partition = Preloader.partitionOf(response.getRequestId(), partitions);
    if (watched.contains(partition)) {
      servedAgainAt.putIfAbsent(partition, response.getCompletedAt());
    }
  }

  /** Milliseconds from the kill until the last watched partition was served again; empty while one is not yet. */
  synchronized OptionalLong millisUntilAllServed() {
    if (watched.isEmpty() || !servedAgainAt.keySet().containsAll(watched)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(servedAgainAt.values().stream().mapToLong(t -> t - killedAtMillis).max().orElse(0));
  }

  /** The watched partitions not served again yet. */
  synchronized Set<Integer> waiting() {
    Set<Integer> waiting = new TreeSet<>(watched);
    waiting.removeAll(servedAgainAt.keySet());
    return waiting;
  }
}
