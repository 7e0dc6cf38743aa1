package io.llmbroker.worker.intake;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;

/**
 * The work started for each owned partition and not complete yet: what a revoke withdraws and
 * what a drain timeout abandons. Thread-safe: work leaves it from completion threads.
 */
final class PendingWork {

  private final Map<TopicPartition, Set<RecordWork>> byPartition = new ConcurrentHashMap<>();

  void add(TopicPartition partition, RecordWork work) {
    byPartition.computeIfAbsent(partition, p -> ConcurrentHashMap.newKeySet()).add(work);
  }

  void remove(TopicPartition partition, RecordWork work) {
    Set<RecordWork> of = byPartition.get(partition);
    if (of != null) {
      of.remove(work);
    }
  }

  /** Withdraws what has not reached a provider or a topic; returns how many were withdrawn. */
  int withdraw(Collection<TopicPartition> partitions) {
    int withdrawn = 0;
    for (TopicPartition partition : partitions) {
      for (RecordWork work : byPartition.getOrDefault(partition, Set.of())) {
        if (work.withdraw()) {
          withdrawn++;
        }
      }
    }
    return withdrawn;
  }

  /**
   * Gives up all work of {@code partitions}: queued requests make no provider call, calls in
   * progress run out unused, and the partitions' next owner serves them again.
   */
  void abandon(Collection<TopicPartition> partitions) {
    for (TopicPartition partition : partitions) {
      Set<RecordWork> work = byPartition.remove(partition);
      if (work != null) {
        work.forEach(w -> w.done().cancel(false));
      }
    }
  }

  void forget(Collection<TopicPartition> partitions) {
    partitions.forEach(byPartition::remove);
  }
}
