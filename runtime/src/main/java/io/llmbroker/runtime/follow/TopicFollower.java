package io.llmbroker.runtime.follow;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads whole topics (compacted tables such as {@code llm.budgets}) from their beginning with a
 * group-less consumer and hands every record to one callback: {@link #start} returns once every
 * record up to the end offsets it found was handed over, then a background thread follows new
 * records. The callback must not throw; a poll that fails is logged and retried, so readers keep
 * the state they built while the broker hiccups.
 *
 * <p>Thread-safe; the callback runs on one thread at a time.
 */
public final class TopicFollower implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration TOPIC_APPEARS_WITHIN = Duration.ofSeconds(5);

  private final List<String> topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Consumer<ConsumerRecord<byte[], byte[]>> apply;
  private Thread follower;
  private volatile boolean closed;

  private TopicFollower(List<String> topics, KafkaConsumer<byte[], byte[]> consumer,
      Consumer<ConsumerRecord<byte[], byte[]>> apply) {
    this.topics = List.copyOf(topics);
    this.consumer = consumer;
    this.apply = apply;
  }

  /**
   * Reads {@code topics} to their end, then follows them on a daemon thread named {@code threadName}.
   *
   * @param kafka Kafka client properties (bootstrap, security); group settings are ignored
   * @throws IllegalStateException when a topic does not exist or is not read within {@code timeout}
   */
  public static TopicFollower start(Map<String, Object> kafka, String clientId, List<String> topics,
      Consumer<ConsumerRecord<byte[], byte[]>> apply, Duration timeout, String threadName) {
    TopicFollower follower = load(kafka, clientId, topics, apply, timeout);
    follower.follower = new Thread(follower::follow, threadName);
    follower.follower.setDaemon(true);
    follower.follower.start();
    return follower;
  }

  /**
   * Reads {@code topics} to their end once and stops: for commands that read and exit.
   *
   * @throws IllegalStateException when a topic does not exist or is not read within {@code timeout}
   */
  public static void readOnce(Map<String, Object> kafka, String clientId, List<String> topics,
      Consumer<ConsumerRecord<byte[], byte[]>> apply, Duration timeout) {
    load(kafka, clientId, topics, apply, timeout).close();
  }

  private static TopicFollower load(Map<String, Object> kafka, String clientId, List<String> topics,
      Consumer<ConsumerRecord<byte[], byte[]>> apply, Duration timeout) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    TopicFollower follower = new TopicFollower(topics, consumer, apply);
    try {
      follower.catchUp(timeout);
      return follower;
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
  }

  private void catchUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<TopicPartition> assigned = new ArrayList<>();
    for (String topic : topics) {
      assigned.addAll(partitionsOf(topic, timeout));
    }
    consumer.assign(assigned);
    consumer.seekToBeginning(assigned);
    Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, timeout);
    while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(topics + " not read within " + timeout);
      }
      consumer.poll(POLL).forEach(apply);
    }
  }

  private List<TopicPartition> partitionsOf(String topic, Duration timeout) {
    // A topic created a moment ago (a first start) may not be in every broker's metadata yet.
    long appearBy = System.nanoTime() + Math.min(timeout.toNanos(), TOPIC_APPEARS_WITHIN.toNanos());
    List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
    while (partitions == null || partitions.isEmpty()) {
      if (System.nanoTime() > appearBy) {
        throw new IllegalStateException("topic " + topic + " does not exist");
      }
      LockSupport.parkNanos(POLL.toNanos());
      partitions = consumer.partitionsFor(topic, timeout);
    }
    return partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private void follow() {
    try {
      while (!closed) {
        try {
          consumer.poll(POLL).forEach(apply);
        } catch (WakeupException e) {
          throw e;
        } catch (RuntimeException e) {
          log.error("event=topic_follow_failed topics={} error={}", topics, e.toString());
        }
      }
    } catch (WakeupException e) {
      // close() woke the poll up
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (follower == null) {
      consumer.close(Duration.ofSeconds(2));
      return;
    }
    consumer.wakeup();
    try {
      follower.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
