package io.llmbroker.worker.intake;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Numbers the partitions of all request topics for the cap division
 * ({@link io.llmbroker.worker.limits.CapDivision}). Indices run partition-major (partition 0 of
 * every topic, then partition 1, ...), because assignors tend to give one worker the same
 * partition number of every topic: numbered topic-major, those would be far apart in the cap
 * division and could all land on indices that own no slot when a cap is smaller than the
 * partition count. Immutable.
 */
record PartitionNumbering(Map<TopicPartition, Integer> indexOf, int total) {

  /** @param partitionCounts the partition count of each of {@code topics}, in the same order */
  static PartitionNumbering of(List<String> topics, int[] partitionCounts) {
    Map<TopicPartition, Integer> indexOf = new HashMap<>();
    int total = 0;
    for (int partition = 0, most = Arrays.stream(partitionCounts).max().orElse(0); partition < most; partition++) {
      for (int t = 0; t < partitionCounts.length; t++) {
        if (partition < partitionCounts[t]) {
          indexOf.put(new TopicPartition(topics.get(t), partition), total++);
        }
      }
    }
    return new PartitionNumbering(Map.copyOf(indexOf), total);
  }

  /** The indices of {@code owned}; partitions of other topics are left out. */
  Set<Integer> indices(Collection<TopicPartition> owned) {
    Set<Integer> indices = new HashSet<>();
    owned.stream().map(indexOf::get).filter(Objects::nonNull).forEach(indices::add);
    return Set.copyOf(indices);
  }
}
