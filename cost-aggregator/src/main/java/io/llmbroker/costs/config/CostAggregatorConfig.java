package io.llmbroker.costs.config;

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
 * The cost aggregator's configuration, bound from YAML by {@link ConfigFile}:
 *
 * <pre>{@code
 * kafka: {bootstrap.servers: "${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"}   # passed through
 * topics: {prefix: "", partitions: 6, replication-factor: 1}
 * streams: {application-id: llm-broker-cost-aggregator, state-dir: ./data/state/cost-aggregator, commit-interval: 1s}
 * rollup: {grace: 1h, dedup-window: 2d, hourly-retention: 35d, daily-retention: 400d}
 * ops: {host: 0.0.0.0, port: 8082}
 * }</pre>
 *
 * Every section may be left out and takes the defaults above. Immutable and thread-safe.
 *
 * @param kafka Kafka client properties passed to Streams as they are ({@code schema.registry.url}
 *     chooses the serde wire format)
 */
public record CostAggregatorConfig(
    Map<String, String> kafka, TopicSettings topics, StreamsSettings streams, RollupSettings rollup, OpsSettings ops) {

  /** The resource holding the default configuration. */
  public static final String BUNDLED_RESOURCE = "cost-aggregator.yaml";

  public CostAggregatorConfig {
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    streams = streams == null ? new StreamsSettings(null, null, null) : streams;
    rollup = rollup == null ? new RollupSettings(null, null, null, null) : rollup;
    ops = OpsSettings.withDefaultPort(ops, 8082);
    if (!kafka.containsKey("bootstrap.servers")) {
      throw ConfigException.forKey("kafka.bootstrap.servers", "must be set");
    }
  }

  /** Reads a config file, substituting {@code ${VARIABLES}} from {@code env}. */
  public static CostAggregatorConfig load(Path file, Map<String, String> env) {
    return ConfigFile.load(file, CostAggregatorConfig.class, env);
  }

  /** Parses YAML text, substituting {@code ${VARIABLES}} from {@code env}. */
  public static CostAggregatorConfig parse(String yaml, Map<String, String> env) {
    return ConfigFile.parse(yaml, CostAggregatorConfig.class, env);
  }

  /** The default configuration shipped in the jar, as YAML text. */
  public static String bundledYaml() {
    return ConfigFile.resource(CostAggregatorConfig.class, "/" + BUNDLED_RESOURCE);
  }

  /**
   * The Kafka Streams properties of the job: the {@code kafka} section first, then the settings
   * this job relies on (exactly-once, explicit internal names, bad records logged and sent to
   * the dead-letter topic instead of stopping the job).
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
      applicationId = applicationId == null ? "llm-broker-cost-aggregator" : applicationId;
      stateDir = stateDir == null ? Path.of("data", "state", "cost-aggregator") : stateDir;
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
   * How usage is rolled up.
   *
   * @param grace how late (in event time) a usage event may arrive and still count in its window
   * @param dedupWindow how long a request id is remembered to drop its duplicates; at least one
   *     day plus the grace, so that a duplicate carrying the original's time is always caught while
   *     its day window is still open
   * @param hourlyRetention how long hourly rollups stay queryable
   * @param dailyRetention how long daily rollups stay queryable
   */
  public record RollupSettings(Duration grace, Duration dedupWindow, Duration hourlyRetention, Duration dailyRetention) {
    public RollupSettings {
      grace = grace == null ? Duration.ofHours(1) : grace;
      dedupWindow = dedupWindow == null ? Duration.ofDays(2) : dedupWindow;
      hourlyRetention = hourlyRetention == null ? Duration.ofDays(35) : hourlyRetention;
      dailyRetention = dailyRetention == null ? Duration.ofDays(400) : dailyRetention;
      if (grace.isNegative()) {
        throw new IllegalArgumentException("grace must be >= 0: " + grace);
      }
      Duration minDedup = Duration.ofDays(1).plus(grace);
      if (dedupWindow.compareTo(minDedup) < 0) {
        throw new IllegalArgumentException("dedup-window must be >= 1 day + grace (" + minDedup + "): " + dedupWindow);
      }
      if (hourlyRetention.compareTo(Duration.ofHours(1).plus(grace)) < 0) {
        throw new IllegalArgumentException("hourly-retention must be >= 1 hour + grace: " + hourlyRetention);
      }
      if (dailyRetention.compareTo(Duration.ofDays(1).plus(grace)) < 0) {
        throw new IllegalArgumentException("daily-retention must be >= 1 day + grace: " + dailyRetention);
      }
    }
  }
}
