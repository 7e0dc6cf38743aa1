package io.llmbroker.audit.config;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.runtime.config.OpsSettings;
import io.llmbroker.runtime.config.TopicSettings;
import io.llmbroker.runtime.streams.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The audit archiver's configuration, bound from YAML by {@link ConfigFile}:
 *
 * <pre>{@code
 * kafka: {bootstrap.servers: "${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"}   # passed through
 * topics: {prefix: "", partitions: 6, replication-factor: 1}
 * streams: {application-id: llm-broker-audit-archiver, state-dir: ./data/state/audit-archiver, commit-interval: 1s}
 * archive: {dir: ./data/audit, roll-size-mb: 64, roll-interval: 5m, retention-days: 0, dedup-window: 2d}
 * redaction: {mode: redact, hash-key: "", rules: [email, phone, card, iban, key], patterns: {}, keep-content-teams: []}
 * ops: {host: 0.0.0.0, port: 8083}
 * }</pre>
 *
 * Every section but {@code kafka} may be left out and takes the defaults above. Immutable and thread-safe.
 *
 * @param kafka Kafka client properties passed to Streams as they are ({@code schema.registry.url}
 *     chooses the serde wire format)
 */
public record AuditArchiverConfig(
    Map<String, String> kafka, TopicSettings topics, StreamsSettings streams, ArchiveSettings archive,
    RedactionSettings redaction, OpsSettings ops) {

  /** The resource holding the default configuration. */
  public static final String BUNDLED_RESOURCE = "audit-archiver.yaml";

  public AuditArchiverConfig {
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    streams = StreamsSettings.withDefaults(streams, "audit-archiver");
    archive = archive == null ? new ArchiveSettings(null, null, null, null, null) : archive;
    redaction = redaction == null ? new RedactionSettings(null, null, null, null, null) : redaction;
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

  /** The Kafka Streams properties of the job: see {@link StreamsSettings#properties}. */
  public Properties streamsProperties() {
    return streams.properties(kafka, topics);
  }

  /** The Kafka properties as a map, for admin clients and the serde factory. */
  public Map<String, Object> kafkaMap() {
    return new HashMap<>(kafka);
  }

  /**
   * Where the archive is written, when its files roll, how long they are kept, and how long a
   * request id is remembered so that a request served twice is archived once.
   *
   * @param dir the archive's root folder; several instances may share it (a POSIX file system
   *     with atomic link and rename, see the README)
   * @param rollSizeMb a partition's buffer is written out as a file once it holds this many MiB
   *     (encoded Avro size; the Parquet file is several times smaller)
   * @param rollInterval ...or once its oldest record waited this long: how stale the archive may be
   * @param retentionDays date folders older than this many days are deleted; 0 keeps them all
   * @param dedupWindow how far apart (in record time) two audit records of one request id may be
   *     for the second to be dropped; a worker re-serves a request within minutes of the first time
   */
  public record ArchiveSettings(Path dir, Integer rollSizeMb, Duration rollInterval, Integer retentionDays,
      Duration dedupWindow) {
    public ArchiveSettings {
      dir = dir == null ? Path.of("data", "audit") : dir;
      rollSizeMb = rollSizeMb == null ? 64 : rollSizeMb;
      rollInterval = rollInterval == null ? Duration.ofMinutes(5) : rollInterval;
      retentionDays = retentionDays == null ? 0 : retentionDays;
      dedupWindow = dedupWindow == null ? Duration.ofDays(2) : dedupWindow;
      if (rollSizeMb < 1) {
        throw new IllegalArgumentException("roll-size-mb must be >= 1: " + rollSizeMb);
      }
      if (rollInterval.toMillis() < 1) {
        throw new IllegalArgumentException("roll-interval must be >= 1ms: " + rollInterval);
      }
      if (retentionDays < 0) {
        throw new IllegalArgumentException("retention-days must be >= 0 (0 keeps every day): " + retentionDays);
      }
      if (dedupWindow.toMinutes() < 1) {
        throw new IllegalArgumentException("dedup-window must be >= 1m: " + dedupWindow);
      }
    }
  }
}
