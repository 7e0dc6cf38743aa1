package io.llmbroker.runtime.streams;

import io.llmbroker.runtime.config.TopicSettings;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/**
 * The {@code streams:} section every Kafka Streams job shares: the application's identity, its
 * local state and its commit cadence. Immutable.
 *
 * @param applicationId the Streams application id (also the consumer group and the prefix of
 *     its internal topics)
 * @param stateDir where the local state stores live
 * @param commitInterval how often offsets and transactions are committed
 */
public record StreamsSettings(String applicationId, Path stateDir, Duration commitInterval) {

  /**
   * The consumer session of a Streams member, 10 s instead of Kafka's 45 s: Streams heartbeats
   * from a background thread, so a live member never misses it, and a vanished one is replaced
   * within seconds.
   */
  public static final int SESSION_TIMEOUT_MS = 10_000;

  public StreamsSettings {
    if (applicationId != null && applicationId.isBlank()) {
      throw new IllegalArgumentException("application-id must not be blank");
    }
    if (commitInterval != null && (commitInterval.isNegative() || commitInterval.isZero())) {
      throw new IllegalArgumentException("commit-interval must be > 0: " + commitInterval);
    }
  }

  /**
   * {@code settings}, or all defaults when absent, with the defaults of job {@code job} where a
   * value was not given: application id {@code llm-broker-<job>}, state under
   * {@code data/state/<job>}, a commit every second.
   */
  public static StreamsSettings withDefaults(StreamsSettings settings, String job) {
    StreamsSettings s = settings == null ? new StreamsSettings(null, null, null) : settings;
    return new StreamsSettings(
        s.applicationId == null ? "llm-broker-" + job : s.applicationId,
        s.stateDir == null ? Path.of("data", "state", job) : s.stateDir,
        s.commitInterval == null ? Duration.ofSeconds(1) : s.commitInterval);
  }

  /**
   * The Kafka Streams properties of a job: a {@value #SESSION_TIMEOUT_MS} ms consumer session
   * (a member that vanished is replaced within that), then the {@code kafka} section (which may
   * override it), then the settings every job's guarantees rest on (exactly-once, explicit
   * internal names, bad records logged and sent to the dead-letter topic instead of stopping the
   * job). Reads and writes nothing: see {@link #memberProperties} for a running instance.
   */
  public Properties properties(Map<String, String> kafka, TopicSettings topics) {
    Properties props = new Properties();
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
    props.putAll(kafka);
    props.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topics.replicationFactor());
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class);
    props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.catalogue().dlq().name());
    return props;
  }

  /**
   * {@link #properties} for an instance about to run: plus static membership, with the
   * {@code group.instance.id} {@code <application id>-<id kept in the state dir>} (see
   * {@link InstanceId}) unless the {@code kafka} section names one. A restart, even after a crash,
   * then takes the instance's place in the group at once instead of waiting out the previous
   * session; a clean close still leaves the group, so its tasks move at once.
   *
   * @throws java.io.UncheckedIOException when the state directory cannot hold the id
   */
  public Properties memberProperties(Map<String, String> kafka, TopicSettings topics) {
    Properties props = properties(kafka, topics);
    if (kafka.keySet().stream().noneMatch(key -> key.endsWith(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG))) {
      // Streams appends "-<thread index>" for each stream thread's consumer.
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, applicationId + "-" + InstanceId.of(stateDir));
    }
    return props;
  }
}
