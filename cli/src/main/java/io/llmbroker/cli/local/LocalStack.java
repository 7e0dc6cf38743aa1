package io.llmbroker.cli.local;

import io.llmbroker.runtime.local.LocalKafka;
import io.llmbroker.audit.AuditArchiverService;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.gateway.GatewayService;
import io.llmbroker.gateway.config.GatewayConfig;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/**
 * Everything llm-broker runs, on one machine: a real Kafka broker in a child JVM, and the
 * worker, the cost aggregator and the audit archiver in this JVM, each configured from its
 * bundled YAML with the variables below. Closing stops them in reverse order.
 */
public final class LocalStack implements AutoCloseable {

  /**
   * @param dataDir the Kafka broker's data lives under it
   * @param stateDir Streams state and the audit archive live under it
   * @param topicPrefix isolates this stack's topics on a shared broker; empty for none
   * @param workerYaml the worker config text; the bundled default when null
   * @param opsPort the worker's ops port; the cost aggregator, the archiver and the gateway take the next three (0: any free)
   * @param deleteTopicsOnClose delete every topic of {@code topicPrefix} once the services stopped
   */
  public record Options(Path dataDir, Path stateDir, int kafkaPort, int controllerPort, String topicPrefix,
      String workerYaml, int opsPort, boolean deleteTopicsOnClose) {

    public Options {
      if (deleteTopicsOnClose && topicPrefix.isEmpty()) {
        throw new IllegalArgumentException("deleting topics on close needs a topic prefix, or every topic would go");
      }
    }
  }

  private final String bootstrapServers;
  private final Optional<LocalKafka> kafka;
  private final WorkerService worker;
  private final CostAggregatorService costs;
  private final AuditArchiverService audit;
  private final GatewayService gateway;
  private final Deque<AutoCloseable> started;

  private LocalStack(String bootstrapServers, Optional<LocalKafka> kafka, WorkerService worker,
      CostAggregatorService costs, AuditArchiverService audit, GatewayService gateway, Deque<AutoCloseable> started) {
    this.bootstrapServers = bootstrapServers;
    this.kafka = kafka;
    this.worker = worker;
    this.costs = costs;
    this.audit = audit;
    this.gateway = gateway;
    this.started = started;
  }

  /** Starts (or reuses) the broker, then the four services; on failure stops what started. */
  public static LocalStack start(Options options) {
    LocalKafka kafka = LocalKafka.startOrReuse(options.dataDir(), options.kafkaPort(), options.controllerPort());
    try {
      return startOn(kafka.bootstrapServers(), options, kafka);
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
  }

  /** Starts the four services against a broker that is already running (which close leaves alone). */
  public static LocalStack startOn(String bootstrapServers, Options options) {
    return startOn(bootstrapServers, options, null);
  }

  private static LocalStack startOn(String bootstrap, Options options, LocalKafka kafka) {
    Deque<AutoCloseable> started = new ArrayDeque<>();
    if (kafka != null) {
      started.push(kafka);
    }
    try {
      if (options.deleteTopicsOnClose()) {
        started.push(() -> deleteTopics(bootstrap, options.topicPrefix()));
      }
      Map<String, String> env = environment(options, bootstrap);
      String workerYaml = options.workerYaml() == null ? WorkerConfig.bundledYaml() : options.workerYaml();
      WorkerService worker = WorkerService.start(WorkerConfig.parse(workerYaml, env), env);
      started.push(worker);
      CostAggregatorService costs = CostAggregatorService.start(
          CostAggregatorConfig.parse(CostAggregatorConfig.bundledYaml(), env), env);
      started.push(costs);
      AuditArchiverService audit = AuditArchiverService.start(
          AuditArchiverConfig.parse(AuditArchiverConfig.bundledYaml(), env), env);
      started.push(audit);
      GatewayService gateway = GatewayService.start(GatewayConfig.parse(GatewayConfig.bundledYaml(), env), Clock.systemUTC());
      started.push(gateway);
      return new LocalStack(bootstrap, Optional.ofNullable(kafka), worker, costs, audit, gateway, started);
    } catch (RuntimeException e) {
      closeAll(started);
      throw e;
    }
  }

  /** The variables the bundled configs read, pointed at this stack. */
  static Map<String, String> environment(Options options, String bootstrap) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    env.put("LLM_BROKER_TOPIC_PREFIX", options.topicPrefix());
    env.put("LLM_BROKER_DATA_DIR", options.stateDir().toAbsolutePath().toString());
    boolean anyPort = options.opsPort() == 0;
    env.put("LLM_BROKER_WORKER_OPS_PORT", String.valueOf(options.opsPort()));
    env.put("LLM_BROKER_COSTS_PORT", String.valueOf(anyPort ? 0 : options.opsPort() + 1));
    env.put("LLM_BROKER_AUDIT_PORT", String.valueOf(anyPort ? 0 : options.opsPort() + 2));
    env.put("LLM_BROKER_GATEWAY_PORT", String.valueOf(anyPort ? 0 : options.opsPort() + 3));
    // A local stack is watched by a person: its calls reach the archive within seconds, not minutes.
    env.putIfAbsent("LLM_BROKER_AUDIT_ROLL_INTERVAL", "5s");
    return env;
  }

  /**
   * Waits until the worker has joined its group and both Streams jobs are running.
   *
   * @throws IllegalStateException naming the services still not ready after {@code timeout}
   */
  public LocalStack awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!(worker.ready() && costs.ready() && audit.ready() && gateway.ready())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not ready after " + timeout.toSeconds() + "s:"
            + (worker.ready() ? "" : " worker") + (costs.ready() ? "" : " cost-aggregator")
            + (audit.ready() ? "" : " audit-archiver") + (gateway.ready() ? "" : " gateway"));
      }
      Thread.sleep(100);
    }
    return this;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The broker this stack started or reused; empty when it was given one. */
  public Optional<LocalKafka> kafka() {
    return kafka;
  }

  public WorkerService worker() {
    return worker;
  }

  public CostAggregatorService costs() {
    return costs;
  }

  public AuditArchiverService audit() {
    return audit;
  }

  public GatewayService gateway() {
    return gateway;
  }

  @Override
  public void close() {
    closeAll(started);
  }

  private static void deleteTopics(String bootstrap, String prefix) throws Exception {
    try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
          .filter(n -> n.startsWith(prefix)).toList();
      admin.deleteTopics(names).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static void closeAll(Deque<AutoCloseable> started) {
    while (!started.isEmpty()) {
      AutoCloseable next = started.pop();
      try {
        next.close();
      } catch (Exception e) {
        System.err.println("llm-broker: error while stopping " + next.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }
}
