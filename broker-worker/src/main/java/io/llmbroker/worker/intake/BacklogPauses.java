package io.llmbroker.worker.intake;

import io.llmbroker.avro.Priority;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pause policy: each priority class may hold {@code backlogPerClass} records in memory
 * (from poll until their outputs are acknowledged); while a class is full its partitions are
 * paused, so memory stays flat whatever the lag and the other classes keep being polled. A
 * class can exceed the limit by at most one poll ({@code max.poll.records}).
 *
 * <p>Not thread-safe: the consumer thread applies it; the counters it reads are atomic.
 */
final class BacklogPauses {

  private static final Logger log = LoggerFactory.getLogger(BacklogPauses.class);

  private final Map<Priority, AtomicInteger> backlog;
  private final Function<String, Priority> priorityOfTopic;
  private final int backlogPerClass;

  BacklogPauses(Map<Priority, AtomicInteger> backlog, Function<String, Priority> priorityOfTopic, int backlogPerClass) {
    this.backlog = backlog;
    this.priorityOfTopic = priorityOfTopic;
    this.backlogPerClass = backlogPerClass;
  }

  /** Pauses the owned partitions of full classes, resumes the others; returns how many are paused. */
  int apply(Consumer<?, ?> consumer, Collection<TopicPartition> owned) {
    Set<TopicPartition> wanted = new HashSet<>();
    for (TopicPartition partition : owned) {
      Priority priority = priorityOfTopic.apply(partition.topic());
      if (priority != null && backlog.get(priority).get() >= backlogPerClass) {
        wanted.add(partition);
      }
    }
    Set<TopicPartition> paused = consumer.paused();
    List<TopicPartition> pause = wanted.stream().filter(p -> !paused.contains(p)).toList();
    List<TopicPartition> resume = paused.stream().filter(p -> !wanted.contains(p)).toList();
    if (!pause.isEmpty()) {
      consumer.pause(pause);
      log.debug("event=partitions_paused partitions={}", pause);
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume);
      log.debug("event=partitions_resumed partitions={}", resume);
    }
    return wanted.size();
  }
}
