package io.llmbroker.gateway.batch;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compacted topic as this process sees it: read from its beginning by a group-less consumer
 * before {@link #start} returns, then followed by a daemon thread, so every instance sees every
 * key within a poll. A value that cannot be decoded is logged with its key and skipped. Writes of
 * this process are applied at once with {@link #applied}, so a caller reads its own writes.
 * Thread-safe.
 */
final class TopicView<V> implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TopicView.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Deserializer<V> decoder;
  private final Map<String, V> entries = new ConcurrentHashMap<>();
  private final Thread follower;
  private volatile boolean closed;

  private TopicView(String topic, KafkaConsumer<byte[], byte[]> consumer, Deserializer<V> decoder) {
    this.topic = topic;
    this.consumer = consumer;
    this.decoder = decoder;
    this.follower = new Thread(this::follow, "topic-view-" + topic);
    this.follower.setDaemon(true);
  }

  /** @throws IllegalStateException when the topic is not read to its end within {@code timeout} */
  static <V> TopicView<V> start(Map<String, Object> kafka, String clientId, String topic, Deserializer<V> decoder,
      Duration timeout) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    TopicView<V> view = new TopicView<>(topic, consumer, decoder);
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(topic + " not loaded within " + timeout);
        }
        consumer.poll(POLL).forEach(view::apply);
      }
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
    view.follower.start();
    return view;
  }

  Optional<V> get(String key) {
    return Optional.ofNullable(entries.get(key));
  }

  Collection<V> values() {
    return entries.values();
  }

  /** Records a value this process has just written, before the follower reads it back. */
  void applied(String key, V value) {
    entries.put(key, value);
  }

  private void follow() {
    try {
      while (!closed) {
        try {
          consumer.poll(POLL).forEach(this::apply);
        } catch (WakeupException e) {
          throw e;
        } catch (RuntimeException e) {
          log.error("event=topic_view_poll_failed topic={} error={}", topic, e.toString());
        }
      }
    } catch (WakeupException e) {
      // close() woke the poll up
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void apply(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      return;
    }
    String key = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      entries.remove(key);
      return;
    }
    try {
      entries.put(key, decoder.deserialize(record.topic(), record.value()));
    } catch (RuntimeException e) {
      log.error("event=topic_view_record_unreadable topic={} key=\"{}\" offset={} error={}", topic, key, record.offset(),
          e.toString());
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    consumer.wakeup();
    try {
      follower.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
