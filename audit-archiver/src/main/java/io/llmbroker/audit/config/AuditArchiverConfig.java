package io.llmbroker.audit.config;

import io.llmbroker.common.config.ConfigException;
import io.llmbroker.common.config.ConfigFile;
import io.llmbroker.common.config.OpsSettings;
import io.llmbroker.common.config.TopicSettings;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/**
 * The audit archiver's configuration, bound from YAML by {@link ConfigFile}:
 *
 * <pre>{@code
 * kafka: {bootstrap.servers: "${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"}   # passed through
 * topics: {prefix: "", partitions: 6, replication-factor: 1}
 * streams: {application-id: llm-broker-audit-archiver, state-dir: ./data/state/audit-archiver, commit-interval: 1s}
 * archive: {dir: ./data/audit, flush-interval: 1s}
 * ops: {host: 0.0.0.0, port: 8083}
 * }</pre>
 *
 * Every section but {@code kafka} may be left out and takes the defaults above. Immutable and thread-safe.
 *
 * @param kafka Kafka client properties passed to Streams as they are ({@code schema.registry.url}
 *     chooses the serde wire format)
 */
public record AuditArchiverConfig(
    Map<String, String> kafka, TopicSettings topics, StreamsSettings streams, ArchiveSettings archive, OpsSettings ops) {

  /** The resource holding the default configuration. */
  public static final String BUNDLED_RESOURCE = "audit-archiver.yaml";

  public AuditArchiverConfig {
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    streams = streams == null ? new StreamsSettings(null, null, null) : streams;
    archive = archive == null ? new ArchiveSettings(null, null) : archive;
    ops = OpsSettings.withDefaultPort(ops, 8083);
    if (!kafka.containsKey("bootstrap.servers")) {
      throw ConfigException.forKey("kafka.bootstrap.servers", "must be set");
    }
  }

  /** Reads a config file, substituting {@code ${VARIABLES}} from {@code env}. */
  public static AuditArchiverConfig load(Path file, Map<String, String> env) {
    return ConfigFile.load(file, AuditArchiverConfig.class, env);
  }

  /** Parses YAML text, substituting {@code ${VARIABLES}} from {@code env}. */
  public static AuditArchiverConfig parse(String yaml, Map<String, String> env) {
    return ConfigFile.parse(yaml, AuditArchiverConfig.class, env);
  }

  /** The default configuration shipped in the jar, as YAML text. */
  public static String bundledYaml() {
    return ConfigFile.resource(AuditArchiverConfig.class, "/" + BUNDLED_RESOURCE);
  }

  /**
   * The Kafka Streams properties of the job: the {@code kafka} section first, then the settings
   * the archive's guarantees rest on (exactly-once, explicit internal names, bad records logged
   * and sent to the dead-letter topic instead of stopping the job).
   */
  public Properties streamsProperties() {
    Properties props = new Properties();
    props.putAll(kafka);
    props.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, streams.applicationId());
    props.put(StreamsConfig.STATE_DIR_CONFIG, streams.stateDir().toString());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, streams.commitInterval().toMillis());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topics.replicationFactor());
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class);
    props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.catalogue().dlq().name());
    return props;
  }

  /** The Kafka properties as a map, for admin clients and the serde factory. */
  public Map<String, Object> kafkaMap() {
    return new HashMap<>(kafka);
  }

  /** The Streams application's identity, local state and commit cadence. */
  public record StreamsSettings(String applicationId, Path stateDir, Duration commitInterval) {
    public StreamsSettings {
      applicationId = applicationId == null ? "llm-broker-audit-archiver" : applicationId;
      stateDir = stateDir == null ? Path.of("data", "state", "audit-archiver") : stateDir;
      commitInterval = commitInterval == null ? Duration.ofSeconds(1) : commitInterval;
      if (applicationId.isBlank()) {
        throw new IllegalArgumentException("application-id must not be blank");
      }
      if (commitInterval.isNegative() || commitInterval.isZero()) {
        throw new IllegalArgumentException("commit-interval must be > 0: " + commitInterval);
      }
    }
  }

  /**
   * Where the archive is written and how often the buffer is flushed into it.
   *
   * @param dir the archive's root folder; several instances may share it (one writer per partition)
   * @param flushInterval wall-clock time between flushes: how stale the archive may be
   */
  public record ArchiveSettings(Path dir, Duration flushInterval) {
    public ArchiveSettings {
      dir = dir == null ? Path.of("data", "audit") : dir;
      flushInterval = flushInterval == null ? Duration.ofSeconds(1) : flushInterval;
      if (flushInterval.toMillis() < 1) {
        throw new IllegalArgumentException("flush-interval must be >= 1ms: " + flushInterval);
      }
    }
  }
}
