package io.llmbroker.worker.config;

import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.runtime.config.OpsSettings;
import io.llmbroker.runtime.config.TopicSettings;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.routing.RoutingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;

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
 *   reply-to-allow: "[A-Za-z0-9][A-Za-z0-9_-]{0,99}"         # every reply_to
 *   reply-to-registered: "{app}|{app}-.+|batch-.+|gateway"         # ... of a request of an app in llm.apps
 *   max-reply-topics: 500    # the worker creates no reply topic once this many exist
 *   max-request-bytes: 1000000
 *   backlog-per-class: 5000
 *   drain-timeout: 30s
 *   commit-interval: 100ms
 *   broker-unreachable-after: 15s
 *   require-app: false       # refuse apps not in llm.apps even while the registry is empty
 *   require-signature: false # refuse requests not signed by a key of their app
 *   replay-window: 15m       # a signed request's created_at must be this close to the worker's clock
 * routing: ...           # see RoutingConfig
 * publishing: {max-attempts: 5, reply-compression: none, record-compression: zstd}
 * budgets: {default-max-output-tokens: 4096}   # reserved for a request that names no max_tokens
 * </pre>
 *
 * Every section but {@code kafka.bootstrap.servers} and {@code routing} has defaults.
 * Immutable and thread-safe.
 */
public record WorkerConfig(Worker worker, Map<String, String> kafka, TopicSettings topics, OpsSettings ops, Intake intake,
    RoutingConfig routing, Publishing publishing, Budgets budgets) {

  private static final String BUNDLED = "/io/llmbroker/worker/default-worker.yaml";

  public WorkerConfig {
    worker = worker == null ? new Worker(null) : worker;
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    ops = OpsSettings.withDefaultPort(ops, 8081);
    intake = intake == null ? new Intake(null, null, null, null, null, null, null, null, null, null, null) : intake;
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
    publishing = publishing == null ? new Publishing(null, null, null) : publishing;
    budgets = budgets == null ? new Budgets(null) : budgets;
    Publishing.requireRoomForDeadLetters(intake.maxRequestBytes(), kafka);
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
   * @param replyToAllow every request's {@code reply_to} must match it entirely
   * @param maxRequestBytes larger encoded requests are answered INVALID
   * @param backlogPerClass records of one priority class held in memory before that class's
   *     partitions are paused
   * @param drainTimeout how long a revoke or a shutdown waits for provider calls in progress
   *     and outputs being acknowledged
   * @param commitInterval the least time between two commits: progress is committed as soon as
   *     it moves, at most this often
   * @param brokerUnreachableAfter {@code /health/ready} answers 503 once the Kafka cluster has
   *     not answered for this long
   * @param requireApp refuse requests of apps not in the registry even while it is empty
   * @param requireSignature refuse requests not signed by a key of their app
   * @param replayWindow how far a signed request's created_at may be from the worker's clock
   * @param replyToRegistered the {@code reply_to} of a request of an app registered in
   *     {@code llm.apps} must also match it entirely, with {@value #APP} standing for the app id
   * @param maxReplyTopics the worker creates no reply topic once this many exist (with the
   *     catalogue's prefix); a request needing one more is REJECTED
   */
  public record Intake(Pattern replyToAllow, Integer maxRequestBytes, Integer backlogPerClass, Duration drainTimeout,
      Duration commitInterval, Duration brokerUnreachableAfter, Boolean requireApp, Boolean requireSignature,
      Duration replayWindow, String replyToRegistered, Integer maxReplyTopics) {

    /** What {@code reply-to-registered} writes for the request's app id. */
    public static final String APP = "{app}";
    static final String DEFAULT_REPLY_TO_ALLOW = "[A-Za-z0-9][A-Za-z0-9_-]{0,99}";
    static final String DEFAULT_REPLY_TO_REGISTERED = "{app}|{app}-.+|batch-.+|gateway";

    public Intake {
      replyToAllow = replyToAllow == null ? Pattern.compile(DEFAULT_REPLY_TO_ALLOW) : replyToAllow;
      replyToRegistered = replyToRegistered == null ? DEFAULT_REPLY_TO_REGISTERED : replyToRegistered;
      maxReplyTopics = maxReplyTopics == null ? 500 : maxReplyTopics;
      if (maxReplyTopics < 1) {
        throw new IllegalArgumentException("max-reply-topics must be >= 1: " + maxReplyTopics);
      }
      try {
        registeredReplyTo(replyToRegistered, "app");
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("reply-to-registered is not a regular expression (" + e.getDescription()
            + "): '" + replyToRegistered + "'");
      }
      maxRequestBytes = maxRequestBytes == null ? 1_000_000 : maxRequestBytes;
      backlogPerClass = backlogPerClass == null ? 5000 : backlogPerClass;
      drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
      commitInterval = commitInterval == null ? Duration.ofMillis(100) : commitInterval;
      brokerUnreachableAfter = brokerUnreachableAfter == null ? Duration.ofSeconds(15) : brokerUnreachableAfter;
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
      if (brokerUnreachableAfter.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("broker-unreachable-after must be >= 1s: " + brokerUnreachableAfter);
      }
    }
  }

  /**
   * The pattern {@code template} (a {@code reply-to-registered} value) makes for app {@code appId}.
   *
   * @throws PatternSyntaxException when the template is not a regular expression
   */
  public static Pattern registeredReplyTo(String template, String appId) {
    return Pattern.compile(template.replace(Intake.APP, Pattern.quote(appId)));
  }

  /**
   * How outputs are published.
   *
   * @param maxAttempts tries of one output that fails retriably before its request goes to the
   *     DLQ (a non-retriable failure, such as a record too large, is not tried again)
   * @param replyCompression {@code compression.type} of the responses' producer
   * @param recordCompression {@code compression.type} of the usage, audit and DLQ producer
   */
  /**
   * How the worker reserves against hard budgets.
   *
   * @param defaultMaxOutputTokens the output tokens reserved for a request that names no
   *     {@code max_tokens}: the ceiling assumed for the model's answer
   */
  public record Budgets(Integer defaultMaxOutputTokens) {
    public Budgets {
      defaultMaxOutputTokens = defaultMaxOutputTokens == null ? 4096 : defaultMaxOutputTokens;
      if (defaultMaxOutputTokens < 1) {
        throw new IllegalArgumentException("default-max-output-tokens must be >= 1: " + defaultMaxOutputTokens);
      }
    }
  }

  public record Publishing(Integer maxAttempts, String replyCompression, String recordCompression) {

    /** Room for the headers a dead letter adds to a copy of the largest accepted request. */
    static final int DEAD_LETTER_HEADROOM = 16 * 1024;
    private static final int PRODUCER_MAX_REQUEST_SIZE = 1_048_576;
    private static final Set<String> COMPRESSIONS = Set.of("none", "gzip", "snappy", "lz4", "zstd");

    public Publishing {
      maxAttempts = maxAttempts == null ? 5 : maxAttempts;
      replyCompression = compression("reply-compression", replyCompression == null ? "none" : replyCompression);
      recordCompression = compression("record-compression", recordCompression == null ? "zstd" : recordCompression);
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("max-attempts must be >= 1: " + maxAttempts);
      }
    }

    private static String compression(String key, String value) {
      String name = value.trim().toLowerCase(Locale.ROOT);
      if (!COMPRESSIONS.contains(name)) {
        throw new IllegalArgumentException(key + " must be one of " + new TreeSet<>(COMPRESSIONS) + ": '" + value + "'");
      }
      return name;
    }

    /**
     * A request the worker accepts must fit, as a dead letter, in one producer request: else an
     * output failure could neither be published nor dead-lettered, and its offset would never
     * complete.
     */
    static void requireRoomForDeadLetters(int maxRequestBytes, Map<String, String> kafka) {
      String configured = kafka.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
      int maxRequestSize;
      try {
        maxRequestSize = configured == null ? PRODUCER_MAX_REQUEST_SIZE : Integer.parseInt(configured.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("kafka." + ProducerConfig.MAX_REQUEST_SIZE_CONFIG + " must be a number: '"
            + configured + "'", e);
      }
      if ((long) maxRequestBytes + DEAD_LETTER_HEADROOM > maxRequestSize) {
        throw new IllegalArgumentException("intake.max-request-bytes must be at least " + DEAD_LETTER_HEADROOM
            + " below kafka." + ProducerConfig.MAX_REQUEST_SIZE_CONFIG + " (" + maxRequestSize
            + ") so that any accepted request can be dead-lettered: " + maxRequestBytes);
      }
    }
  }
}
