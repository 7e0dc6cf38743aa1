package io.llmbroker.runtime.apps;

import io.llmbroker.avro.App;
import io.llmbroker.schemas.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps registry as this process sees it: the compacted {@code llm.apps} topic read from its
 * beginning by a group-less consumer. {@link #start} returns once every record up to the end
 * offsets it found is applied; a background thread then follows changes as they are written,
 * so a revocation reaches every reader within one poll.
 *
 * <p>A record that cannot be decoded or validated is kept as {@link AppEntry.Unreadable} and
 * logged with its key: its app is unknown, never allowed. A tombstone removes the app.
 *
 * <p>Thread-safe: reads see the latest applied record of each key.
 */
public final class AppRegistry implements AppLookup, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AppRegistry.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration TOPIC_APPEARS_WITHIN = Duration.ofSeconds(5);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Deserializer<App> decoder;
  private final Map<String, AppEntry> entries = new ConcurrentHashMap<>();
  private Thread follower;
  private volatile boolean closed;

  private AppRegistry(String topic, KafkaConsumer<byte[], byte[]> consumer, Deserializer<App> decoder) {
    this.topic = topic;
    this.consumer = consumer;
    this.decoder = decoder;
  }

  /**
   * Loads the registry and starts following it.
   *
   * @param kafka Kafka client properties (bootstrap, security); group settings are ignored
   * @param clientId the consumer's client id
   * @throws IllegalStateException when the topic does not exist or is not loaded within {@code timeout}
   */
  public static AppRegistry start(Map<String, Object> kafka, String clientId, Topic<App> topic, Deserializer<App> decoder,
      Duration timeout) {
    AppRegistry registry = load(kafka, clientId, topic, decoder, timeout);
    registry.follower = new Thread(registry::follow, "apps-registry");
    registry.follower.setDaemon(true);
    registry.follower.start();
    return registry;
  }

  /**
   * Loads the registry once, without following it: for commands that read it and exit.
   *
   * @throws IllegalStateException when the topic does not exist or is not loaded within {@code timeout}
   */
  public static Map<String, AppEntry> read(Map<String, Object> kafka, String clientId, Topic<App> topic,
      Deserializer<App> decoder, Duration timeout) {
    try (AppRegistry registry = load(kafka, clientId, topic, decoder, timeout)) {
      return registry.snapshot();
    }
  }

  private static AppRegistry load(Map<String, Object> kafka, String clientId, Topic<App> topic, Deserializer<App> decoder,
      Duration timeout) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    AppRegistry registry = new AppRegistry(topic.name(), consumer, decoder);
    try {
      registry.catchUp(timeout);
      return registry;
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
  }

  private void catchUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // A topic created a moment ago (a worker's first start) may not be in every broker's metadata yet.
    long appearBy = System.nanoTime() + Math.min(timeout.toNanos(), TOPIC_APPEARS_WITHIN.toNanos());
    List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
    while (partitions == null || partitions.isEmpty()) {
      if (System.nanoTime() > appearBy) {
        throw new IllegalStateException("apps registry topic " + topic + " does not exist");
      }
      LockSupport.parkNanos(POLL.toNanos());
      partitions = consumer.partitionsFor(topic, timeout);
    }
    List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(assigned);
    consumer.seekToBeginning(assigned);
    Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, timeout);
    while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("apps registry " + topic + " not loaded within " + timeout);
      }
      consumer.poll(POLL).forEach(this::apply);
    }
    log.info("event=apps_registry_loaded topic={} apps={}", topic, entries.size());
  }

  private void follow() {
    try {
      while (!closed) {
        try {
          consumer.poll(POLL).forEach(this::apply);
        } catch (WakeupException e) {
          throw e;
        } catch (RuntimeException e) {
          // The registry keeps its last state: a reader never drops apps it knew because the broker hiccups.
          log.error("event=apps_registry_poll_failed topic={} error={}", topic, e.toString());
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
      log.error("event=app_record_unreadable topic={} partition={} offset={} reason=\"record has no key\"",
          record.topic(), record.partition(), record.offset());
      return;
    }
    String key = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      entries.remove(key);
      return;
    }
    AppEntry entry;
    try {
      entry = AppEntry.of(key, decoder.deserialize(record.topic(), record.value()));
    } catch (RuntimeException e) {
      entry = new AppEntry.Unreadable("cannot decode: " + e.getMessage());
    }
    if (entry instanceof AppEntry.Unreadable unreadable) {
      log.error("event=app_record_unreadable topic={} key=\"{}\" offset={} reason=\"{}\" effect=\"app treated as unknown\"",
          record.topic(), key, record.offset(), unreadable.reason());
    }
    entries.put(key, entry);
  }

  @Override
  public Optional<AppEntry> find(String appId) {
    return appId == null ? Optional.empty() : Optional.ofNullable(entries.get(appId));
  }

  @Override
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Every entry, sorted by app id. */
  public Map<String, AppEntry> snapshot() {
    return new TreeMap<>(entries);
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
