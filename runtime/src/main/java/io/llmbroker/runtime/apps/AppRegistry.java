package io.llmbroker.runtime.apps;

import io.llmbroker.avro.App;
import io.llmbroker.runtime.follow.TopicFollower;
import io.llmbroker.schemas.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps registry as this process sees it: the compacted {@code llm.apps} topic read from its
 * beginning by a {@link TopicFollower}. {@link #start} returns once every record up to the end
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

  private final Deserializer<App> decoder;
  private final Map<String, AppEntry> entries = new ConcurrentHashMap<>();
  private TopicFollower follower;

  private AppRegistry(Deserializer<App> decoder) {
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
    AppRegistry registry = new AppRegistry(decoder);
    registry.follower = TopicFollower.start(kafka, clientId, List.of(topic.name()), registry::apply, timeout,
        "apps-registry");
    log.info("event=apps_registry_loaded topic={} apps={}", topic.name(), registry.entries.size());
    return registry;
  }

  /**
   * Loads the registry once, without following it: for commands that read it and exit.
   *
   * @throws IllegalStateException when the topic does not exist or is not loaded within {@code timeout}
   */
  public static Map<String, AppEntry> read(Map<String, Object> kafka, String clientId, Topic<App> topic,
      Deserializer<App> decoder, Duration timeout) {
    AppRegistry registry = new AppRegistry(decoder);
    TopicFollower.readOnce(kafka, clientId, List.of(topic.name()), registry::apply, timeout);
    return registry.snapshot();
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
    if (follower != null) {
      follower.close();
    }
  }
}
