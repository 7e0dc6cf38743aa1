package io.llmbroker.worker.offsets;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The {@link PartitionOffsets} of every partition this worker owns. A partition gets a fresh
 * instance each time it is assigned, so a completion that arrives after its partition was
 * revoked (and perhaps assigned back) is recognised as stale by identity and ignored.
 *
 * <p>Not thread-safe: owned by the consumer thread.
 */
public final class OffsetTracker {

  private final Map<TopicPartition, PartitionOffsets> partitions = new HashMap<>();

  /** Starts tracking a newly assigned partition; returns its fresh state. */
  public PartitionOffsets assign(TopicPartition partition) {
    PartitionOffsets offsets = new PartitionOffsets();
    partitions.put(partition, offsets);
    return offsets;
  }

  /** Stops tracking revoked or lost partitions. */
  public void forget(Collection<TopicPartition> revoked) {
    revoked.forEach(partitions::remove);
  }

  /** The current state of {@code partition}, or null when it is not owned. */
  public PartitionOffsets get(TopicPartition partition) {
    return partitions.get(partition);
  }

  /** True when {@code offsets} is the current state of {@code partition}, not a stale one. */
  public boolean isCurrent(TopicPartition partition, PartitionOffsets offsets) {
    return partitions.get(partition) == offsets;
  }

  /** Records in flight in the given partitions. */
  public int inFlight(Collection<TopicPartition> owned) {
    return owned.stream().map(partitions::get).filter(o -> o != null).mapToInt(PartitionOffsets::inFlightCount).sum();
  }

  /** Offsets to commit for the given partitions: those that moved since the last commit. */
  public Map<TopicPartition, OffsetAndMetadata> toCommit(Collection<TopicPartition> owned) {
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    for (TopicPartition partition : owned) {
      PartitionOffsets offsets = partitions.get(partition);
      if (offsets != null) {
        offsets.toCommit().ifPresent(o -> commits.put(partition, new OffsetAndMetadata(o)));
      }
    }
    return commits;
  }

  /** Records the broker's acknowledgement of {@code commits}. */
  public void committed(Map<TopicPartition, OffsetAndMetadata> commits) {
    commits.forEach((partition, offset) -> {
      PartitionOffsets offsets = partitions.get(partition);
      if (offsets != null) {
        offsets.committed(offset.offset());
      }
    });
  }

  /** Every partition tracked. */
  public Collection<TopicPartition> owned() {
    return partitions.keySet();
  }
}
