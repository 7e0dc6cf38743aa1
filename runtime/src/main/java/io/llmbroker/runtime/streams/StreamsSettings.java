package io.llmbroker.runtime.streams;

import io.llmbroker.runtime.config.TopicSettings;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
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
   * The Kafka Streams properties of a job: the {@code kafka} section first, then the settings
   * every job's guarantees rest on (exactly-once, explicit internal names, bad records logged
   * and sent to the dead-letter topic instead of stopping the job).
   */
  public Properties properties(Map<String, String> kafka, TopicSettings topics) {
    Properties props = new Properties();
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
}
