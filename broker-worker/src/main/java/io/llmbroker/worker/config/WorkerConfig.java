package io.llmbroker.worker.config;

import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.runtime.config.OpsSettings;
import io.llmbroker.runtime.config.TopicSettings;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.routing.RoutingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The worker's whole configuration, one YAML file:
 *
 * <pre>
 * worker: {id: ${HOSTNAME:-worker-1}}
 * kafka:                 # passed through to every Kafka client
 *   bootstrap.servers: ${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}
 * topics: {prefix: "", partitions: 6, replication-factor: 1}
 * ops: {host: 0.0.0.0, port: 8081}
 * intake:
 *   reply-to-allow: "[A-Za-z0-9][A-Za-z0-9._-]*"
 *   max-request-bytes: 1048576
 *   backlog-per-class: 5000
 *   drain-timeout: 30s
 *   commit-interval: 1s
 *   require-app: false       # refuse apps not in llm.apps even while the registry is empty
 *   require-signature: false # refuse requests not signed by a key of their app
 *   replay-window: 15m       # a signed request's created_at must be this close to the worker's clock
 * routing: ...           # see RoutingConfig
 * </pre>
 *
 * Every section but {@code kafka.bootstrap.servers} and {@code routing} has defaults.
 * Immutable and thread-safe.
 */
public record WorkerConfig(Worker worker, Map<String, String> kafka, TopicSettings topics, OpsSettings ops, Intake intake,
    RoutingConfig routing) {

  private static final String BUNDLED = "/io/llmbroker/worker/default-worker.yaml";

  public WorkerConfig {
    worker = worker == null ? new Worker(null) : worker;
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    ops = OpsSettings.withDefaultPort(ops, 8081);
    intake = intake == null ? new Intake(null, null, null, null, null, null, null, null) : intake;
    String bootstrap = kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    if (bootstrap == null || bootstrap.isBlank()) {
      throw new IllegalArgumentException("kafka." + CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG
          + " is required (host:port of a Kafka broker): '" + bootstrap + "'");
    }
    try {
      AvroSerdes.fromConfig(kafka);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("kafka." + e.getMessage(), e);
    }
    if (routing == null) {
      throw new IllegalArgumentException("routing is required: providers, deployments and aliases to serve");
    }
  }

  /** Reads the YAML file, substituting {@code ${NAME}} and {@code ${NAME:-default}} from {@code env}. */
  public static WorkerConfig load(Path file, Map<String, String> env) {
    return ConfigFile.load(file, WorkerConfig.class, env);
  }

  /** Parses YAML text, substituting {@code ${NAME}} and {@code ${NAME:-default}} from {@code env}. */
  public static WorkerConfig parse(String yaml, Map<String, String> env) {
    return ConfigFile.parse(yaml, WorkerConfig.class, env);
  }

  /** The bundled default config: simulated providers, a local broker. */
  public static String bundledYaml() {
    return ConfigFile.resource(WorkerConfig.class, BUNDLED);
  }

  /** The Kafka client properties as the clients take them. */
  public Map<String, Object> kafkaProperties() {
    return new LinkedHashMap<>(kafka);
  }

  /** @param id names this instance in logs, client ids and audit records */
  public record Worker(String id) {
    public Worker {
      id = id == null ? "worker-1" : id.trim();
      if (id.isEmpty()) {
        throw new IllegalArgumentException("id must not be blank: '" + id + "'");
      }
    }
  }

  /**
   * How requests are taken in.
   *
   * @param replyToAllow a request's {@code reply_to} must match it entirely
   * @param maxRequestBytes larger encoded requests are answered INVALID
   * @param backlogPerClass records of one priority class held in memory before that class's
   *     partitions are paused
   * @param drainTimeout how long a revoke or a shutdown waits for in-flight requests
   * @param commitInterval how often progress is committed while running
   * @param requireApp refuse requests of apps not in the registry even while it is empty
   * @param requireSignature refuse requests not signed by a key of their app
   * @param replayWindow how far a signed request's created_at may be from the worker's clock
   */
  public record Intake(Pattern replyToAllow, Integer maxRequestBytes, Integer backlogPerClass, Duration drainTimeout,
      Duration commitInterval, Boolean requireApp, Boolean requireSignature, Duration replayWindow) {
    public Intake {
      replyToAllow = replyToAllow == null ? Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*") : replyToAllow;
      maxRequestBytes = maxRequestBytes == null ? 1_048_576 : maxRequestBytes;
      backlogPerClass = backlogPerClass == null ? 5000 : backlogPerClass;
      drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
      commitInterval = commitInterval == null ? Duration.ofSeconds(1) : commitInterval;
      requireApp = requireApp != null && requireApp;
      requireSignature = requireSignature != null && requireSignature;
      replayWindow = replayWindow == null ? Duration.ofMinutes(15) : replayWindow;
      if (maxRequestBytes < 1) {
        throw new IllegalArgumentException("max-request-bytes must be >= 1: " + maxRequestBytes);
      }
      if (backlogPerClass < 1) {
        throw new IllegalArgumentException("backlog-per-class must be >= 1: " + backlogPerClass);
      }
      if (drainTimeout.isNegative()) {
        throw new IllegalArgumentException("drain-timeout must not be negative: " + drainTimeout);
      }
      if (commitInterval.isZero() || commitInterval.isNegative()) {
        throw new IllegalArgumentException("commit-interval must be positive: " + commitInterval);
      }
      if (replayWindow.isZero() || replayWindow.isNegative()) {
        throw new IllegalArgumentException("replay-window must be positive: " + replayWindow);
      }
    }
  }
}
