package io.llmbroker.costs.config;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.runtime.config.OpsSettings;
import io.llmbroker.runtime.config.TopicSettings;
import io.llmbroker.runtime.streams.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cost aggregator's configuration, bound from YAML by {@link ConfigFile}:
 *
 * <pre>{@code
 * kafka: {bootstrap.servers: "${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"}   # passed through
 * topics: {prefix: "", partitions: 6, replication-factor: 1}
 * streams: {application-id: llm-broker-cost-aggregator, state-dir: ./data/state/cost-aggregator, commit-interval: 1s}
 * rollup: {grace: 1h, dedup-window: 2d, hourly-retention: 35d, daily-retention: 400d, tags: [], tag-values-max: 100}
 * ops: {host: 0.0.0.0, port: 8082}
 * query: {advertised-host: localhost, fan-out-timeout: 5s}
 * }</pre>
 *
 * Every section may be left out and takes the defaults above. Immutable and thread-safe.
 *
 * @param kafka Kafka client properties passed to Streams as they are ({@code schema.registry.url}
 *     chooses the serde wire format)
 */
public record CostAggregatorConfig(
    Map<String, String> kafka, TopicSettings topics, StreamsSettings streams, RollupSettings rollup, OpsSettings ops,
    QuerySettings query) {

  /** The resource holding the default configuration. */
  public static final String BUNDLED_RESOURCE = "cost-aggregator.yaml";

  public CostAggregatorConfig {
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    streams = StreamsSettings.withDefaults(streams, "cost-aggregator");
    rollup = rollup == null ? new RollupSettings(null, null, null, null, null, null) : rollup;
    ops = OpsSettings.withDefaultPort(ops, 8082);
    query = query == null ? new QuerySettings(null, null) : query;
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

  /** The Kafka Streams properties of the job: see {@link StreamsSettings#properties}. */
  public Properties streamsProperties() {
    return streams.properties(kafka, topics);
  }

  /** The Kafka properties as a map, for admin clients and the serde factory. */
  public Map<String, Object> kafkaMap() {
    return new HashMap<>(kafka);
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
   * @param tags the request tags rolled up as dimensions (at most {@value #MAX_TAGS}; names of
   *     lower-case letters, digits, {@code -} and {@code _}, none of the query's own parameters)
   * @param tagValuesMax how many distinct values of one tag each partition of the usage topic rolls
   *     up under their own name; later ones roll up under {@value #OTHER_TAG_VALUE}
   */
  public record RollupSettings(Duration grace, Duration dedupWindow, Duration hourlyRetention, Duration dailyRetention,
      List<String> tags, Integer tagValuesMax) {

    public static final int MAX_TAGS = 4;
    /** Where values of a tag beyond {@code tag-values-max} roll up. */
    public static final String OTHER_TAG_VALUE = "(other)";
    private static final Set<String> RESERVED = Set.of("team", "app", "customer", "provider", "model",
        "granularity", "from", "to", "group-by", "format", "top", "scope", "partitions");

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
      tags = tags == null ? List.of() : List.copyOf(new TreeSet<>(tags));
      tagValuesMax = tagValuesMax == null ? 100 : tagValuesMax;
      if (tags.size() > MAX_TAGS) {
        throw new IllegalArgumentException("tags may name at most " + MAX_TAGS + ": " + tags);
      }
      for (String tag : tags) {
        if (!tag.matches("[a-z0-9_-]{1,32}") || RESERVED.contains(tag)) {
          throw new IllegalArgumentException("tags: '" + tag + "' must be 1-32 of [a-z0-9_-] and not one of " + RESERVED);
        }
      }
      if (tagValuesMax < 1 || tagValuesMax > 10_000) {
        throw new IllegalArgumentException("tag-values-max must be between 1 and 10000: " + tagValuesMax);
      }
    }
  }

  /**
   * How queries are answered across instances.
   *
   * @param advertisedHost the host name other instances reach this one's ops port at (Kafka Streams'
   *     {@code application.server}); default {@code localhost}, which only works on one machine
   * @param fanOutTimeout how long a query waits for another instance's part of the answer
   */
  public record QuerySettings(String advertisedHost, Duration fanOutTimeout) {
    public QuerySettings {
      advertisedHost = advertisedHost == null ? "localhost" : advertisedHost;
      fanOutTimeout = fanOutTimeout == null ? Duration.ofSeconds(5) : fanOutTimeout;
      if (advertisedHost.isBlank() || advertisedHost.contains(":") || advertisedHost.contains("/")) {
        throw new IllegalArgumentException("advertised-host must be a host name without port or scheme: '" + advertisedHost + "'");
      }
      if (fanOutTimeout.isNegative() || fanOutTimeout.isZero()) {
        throw new IllegalArgumentException("fan-out-timeout must be > 0: " + fanOutTimeout);
      }
    }
  }
}
