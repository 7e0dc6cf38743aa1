package io.llmbroker.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * The workers' consumer group as the broker sees it: who owns which partition, and what the
 * group committed. Members are named by worker id: a worker's consumer is the client
 * {@code <worker id>-consumer}. Thread-safe (the admin client is).
 */
final class WorkerGroup {

  private static final String CONSUMER_SUFFIX = "-consumer";

  private final Admin admin;
  private final String groupId;

  WorkerGroup(Admin admin, String groupId) {
    this.admin = admin;
    this.groupId = groupId;
  }

  String id() {
    return groupId;
  }

  /** The partitions of {@code topic} each member owns now, by worker id; members owning none are listed too. */
  Map<String, Set<Integer>> partitionsByWorker(String topic) {
    return owned(describe(), topic);
  }

  private static Map<String, Set<Integer>> owned(ConsumerGroupDescription group, String topic) {
    Map<String, Set<Integer>> owned = new HashMap<>();
    for (MemberDescription member : group.members()) {
      Set<Integer> partitions = new TreeSet<>();
      member.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(topic))
          .forEach(tp -> partitions.add(tp.partition()));
      owned.put(workerId(member.clientId()), partitions);
    }
    return owned;
  }

  /**
   * Waits until the group is stable with exactly the workers {@code workerIds} and every one of the
   * {@code partitions} partitions of {@code topic} is owned.
   *
   * @return the partitions each worker owns then
   * @throws IllegalStateException when that does not happen within {@code timeout}
   */
  Map<String, Set<Integer>> awaitSettled(Set<String> workerIds, String topic, int partitions, Duration timeout)
      throws InterruptedException {
    Await.until(() -> {
      try {
        ConsumerGroupDescription group = describe();
        Map<String, Set<Integer>> owned = owned(group, topic);
        return group.groupState() == GroupState.STABLE && owned.keySet().equals(workerIds)
            && owned.values().stream().mapToInt(Set::size).sum() == partitions;
      } catch (IllegalStateException notYet) {
        // A group being formed may not be described yet; asked again 50 ms later.
        return false;
      }
    }, timeout, "group " + groupId + " settling with " + workerIds);
    return partitionsByWorker(topic);
  }

  /** True once the group's committed offsets reached {@code ends} on every partition named there. */
  boolean committedUpTo(Map<TopicPartition, Long> ends) {
    Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata());
    return ends.entrySet().stream().allMatch(e -> {
      OffsetAndMetadata offset = committed.get(e.getKey());
      return offset != null ? offset.offset() >= e.getValue() : e.getValue() == 0;
    });
  }

  private ConsumerGroupDescription describe() {
    return get(admin.describeConsumerGroups(Set.of(groupId)).describedGroups().get(groupId));
  }

  private static String workerId(String clientId) {
    return clientId.endsWith(CONSUMER_SUFFIX) ? clientId.substring(0, clientId.length() - CONSUMER_SUFFIX.length()) : clientId;
  }

  private <T> T get(KafkaFuture<T> future) {
    try {
      return future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read consumer group " + groupId + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading a consumer group", e);
    }
  }
}
