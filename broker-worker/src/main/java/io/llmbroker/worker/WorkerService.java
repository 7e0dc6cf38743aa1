package io.llmbroker.worker;

import io.llmbroker.avro.App;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppRegistry;
import io.llmbroker.runtime.ops.OpsServer;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.runtime.topics.ReplyTopics;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.budgets.BudgetBook;
import io.llmbroker.worker.budgets.BudgetGuard;
import io.llmbroker.worker.config.WorkerConfig;
import io.llmbroker.worker.intake.BrokerContact;
import io.llmbroker.worker.intake.RequestIntake;
import io.llmbroker.worker.ops.WorkerMetrics;
import io.llmbroker.worker.policy.RequestPolicy;
import io.llmbroker.worker.pricing.PriceTable;
import io.llmbroker.worker.pipeline.RequestPipeline;
import io.llmbroker.worker.pipeline.RequestValidator;
import io.llmbroker.worker.publishing.OutputPublisher;
import io.llmbroker.worker.routing.CallRouter;
import io.llmbroker.worker.routing.DefaultCallRouter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running worker: consumes the request topics, calls providers through the router, publishes
 * responses, usage and audit records, and serves {@code /health/live}, {@code /health/ready}
 * and {@code /metrics}.
 *
 * <p>Kafka client defaults the worker sets unless the config's {@code kafka:} section says
 * otherwise: group {@code <prefix>llm-broker-worker}, manual commits, {@code earliest} reset,
 * the classic group protocol with the {@link CooperativeStickyAssignor} (so a rebalance only
 * stops the partitions that move, on any broker; {@code group.protocol: consumer} is honoured
 * when set) and a 6 s session timeout (the broker's minimum by default: a crashed worker's
 * partitions move to the others within seconds rather than the client default's 45 s), and one
 * idempotent producer with {@code acks=all} for every output.
 *
 * <p>Thread-safe. {@link #close()} drains gracefully: it stops taking work, lets in-flight
 * requests finish within {@code intake.drain-timeout}, commits, and leaves the group.
 */
public final class WorkerService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WorkerService.class);
  private static final Duration CLOSE_MARGIN = Duration.ofSeconds(15);
  private static final int SESSION_TIMEOUT_MS = 6_000;
  private static final Backoff PUBLISH_BACKOFF = Backoff.exponential(Duration.ofMillis(500), Duration.ofSeconds(30));
  /**
   * How long a send may wait for metadata or buffer space unless the config says otherwise.
   * Kafka's 60 s default would stall every output behind one topic that vanished; reply topics
   * are found or created before a send, so a longer wait means something is wrong.
   */
  private static final int MAX_BLOCK_MS = 5_000;
  /**
   * With one request in flight per connection, the records a batch holds bound the throughput;
   * 64 KiB batches served 2 to 4 times the records per second of Kafka's 16 KiB at saturation,
   * whatever the codec (docs/BENCHMARKS.md, "Output compression"). A batch is sent once full or
   * after linger.ms, so a quiet worker's latency does not change.
   */
  private static final int BATCH_SIZE = 65_536;
  private static final Duration REGISTRY_LOAD_TIMEOUT = Duration.ofSeconds(60);

  private final WorkerConfig config;
  private final RequestIntake intake;
  private final Thread intakeThread;
  private final CallRouter router;
  private final OutputPublisher publisher;
  private final AppRegistry apps;
  private final BudgetBook budgets;
  private final ExecutorService verifiers;
  private final Admin admin;
  private final BrokerContact contact;
  private final OpsServer ops;
  private final WorkerMetrics metrics;
  private boolean closed;

  private WorkerService(WorkerConfig config, RequestIntake intake, Thread intakeThread, CallRouter router,
      OutputPublisher publisher, AppRegistry apps, BudgetBook budgets, ExecutorService verifiers, Admin admin, BrokerContact contact,
      OpsServer ops, WorkerMetrics metrics) {
    this.config = config;
    this.intake = intake;
    this.intakeThread = intakeThread;
    this.router = router;
    this.publisher = publisher;
    this.apps = apps;
    this.budgets = budgets;
    this.verifiers = verifiers;
    this.admin = admin;
    this.contact = contact;
    this.ops = ops;
    this.metrics = metrics;
  }

  /**
   * Creates missing topics, loads the apps registry and the budgets, starts the consumer thread
   * and the ops server, and returns once they run.
   *
   * @param env the environment: provider keys are read from it, never logged
   * @throws io.llmbroker.runtime.config.ConfigException when the routing config cannot be served
   * @throws IllegalStateException when the topics cannot be created (the broker is unreachable)
   */
  public static WorkerService start(WorkerConfig config, Map<String, String> env) {
    Clock clock = Clock.systemUTC();
    return start(config, clock, meters -> new DefaultCallRouter(config.routing(), env, meters, clock));
  }

  /** Starts a worker with the router the factory builds on the worker's meter registry. */
  static WorkerService start(WorkerConfig config, Clock clock, Function<MeterRegistry, CallRouter> routerFactory) {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      String workerId = config.worker().id();
      Topics topics = config.topics().catalogue();
      short replication = config.topics().replicationFactor().shortValue();
      Map<String, Object> clientProps = clientProperties(config);

      Admin admin = Admin.create(withClientId(clientProps, workerId + "-admin"));
      opened.add(admin);
      List<Topic<?>> owned = new ArrayList<>(topics.requestTopics());
      owned.addAll(List.of(topics.usage(), topics.audit(), topics.dlq(), topics.apps(), topics.budgets(),
          topics.budgetState()));
      Topics.createMissing(admin, owned, replication);

      PrometheusMeterRegistry registry = OpsServer.newRegistry();
      WorkerMetrics metrics = new WorkerMetrics(registry);
      CallRouter router = routerFactory.apply(registry);
      opened.add(router);

      AvroSerdes serdes = AvroSerdes.fromConfig(config.kafka());
      WorkerConfig.Publishing publishing = config.publishing();
      KafkaProducer<byte[], byte[]> replies = new KafkaProducer<>(producerProperties(clientProps, workerId + "-replies", 1,
          publishing.replyCompression()), new ByteArraySerializer(), new ByteArraySerializer());
      KafkaProducer<byte[], byte[]> records = new KafkaProducer<>(producerProperties(clientProps, workerId + "-records", 5,
          publishing.recordCompression()), new ByteArraySerializer(), new ByteArraySerializer());
      ReplyTopics replyTopics = new ReplyTopics(admin, Optional.of(replication), topics.responsesPrefix(),
          config.intake().maxReplyTopics());
      // Counted before the intake starts, so that at the limit even the first request for a new topic is refused.
      try {
        replyTopics.count().orTimeout(REGISTRY_LOAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
      } catch (CompletionException e) {
        throw new IllegalStateException("cannot count the reply topics: " + e.getCause(), e);
      }
      OutputPublisher publisher = new OutputPublisher(replies, records, topics, serdes, replyTopics, PUBLISH_BACKOFF,
          publishing.maxAttempts(), metrics);
      opened.add(publisher);

      // Loaded before the intake starts, so a ready worker never serves a request the registry would refuse.
      AppRegistry apps = AppRegistry.start(clientProps, workerId + "-apps", topics.apps(),
          serdes.serde(App.class).deserializer(), REGISTRY_LOAD_TIMEOUT);
      opened.add(apps);
      RequestValidator validator = new RequestValidator(config.intake().replyToAllow(),
          config.intake().replyToRegistered(),
          app -> apps.find(app).orElse(null) instanceof AppEntry.Registered r && r.app().getRevokedAt() == null,
          config.intake().maxRequestBytes(), router::routeProblem);
      RequestPolicy policy = new RequestPolicy(apps, config.intake().requireApp(), config.intake().requireSignature(),
          config.intake().replayWindow(), clock);
      // Loaded before the intake starts too: a ready worker knows every hard budget and its last published spend.
      BudgetBook budgetBook = BudgetBook.start(clientProps, workerId + "-budgets", topics,
          serdes.serde(Budget.class).deserializer(), serdes.serde(BudgetState.class).deserializer(), registry,
          REGISTRY_LOAD_TIMEOUT);
      opened.add(budgetBook);
      BudgetGuard budgets = new BudgetGuard(budgetBook, router::servingModels,
          new PriceTable(config.routing().priceList(), registry), config.budgets().defaultMaxOutputTokens(), clock, registry);
      ExecutorService verifiers = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), runnable -> {
        Thread thread = new Thread(runnable, "signature-verifier-" + workerId);
        thread.setDaemon(true);
        return thread;
      });
      opened.add(verifiers::shutdownNow);
      RequestPipeline pipeline = new RequestPipeline(serdes.serde(LlmRequest.class).deserializer(), validator,
          policy, budgets, verifiers, router, publisher, metrics, clock, workerId);
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(clientProps, config),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      opened.add(consumer);
      RequestIntake intake = new RequestIntake(consumer, topics, pipeline, (partitions, total) -> {
        budgets.assign(partitions, total);
        router.assign(partitions, total);
      }, router::withinShares, metrics,
          clock, config.intake());
      BrokerContact contact = new BrokerContact(admin, clock, config.intake().brokerUnreachableAfter());
      opened.add(contact);

      OpsServer ops = new OpsServer(config.ops().host(), config.ops().port(), registry, intake::alive,
          () -> intake.ready() && contact.reachable());
      opened.add(ops);
      Thread thread = new Thread(intake, "request-intake-" + workerId);
      thread.start();
      opened.remove(consumer);
      log.info("event=worker_started worker={} group={} ops_port={} topics_prefix=\"{}\"", workerId,
          consumerProperties(clientProps, config).get(ConsumerConfig.GROUP_ID_CONFIG), ops.port(), topics.prefix());
      return new WorkerService(config, intake, thread, router, publisher, apps, budgetBook, verifiers, admin, contact,
          ops, metrics);
    } catch (RuntimeException e) {
      for (int i = opened.size() - 1; i >= 0; i--) {
        try {
          opened.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** The port {@code /health/*} and {@code /metrics} are served on. */
  public int opsPort() {
    return ops.port();
  }

  /** True once the consumer polled successfully, until close, while the Kafka cluster answers. */
  public boolean ready() {
    return intake.ready() && contact.reachable();
  }

  /** False once the consumer died on an error no retry cures (see {@link #terminated()}). */
  public boolean alive() {
    return intake.alive();
  }

  /**
   * Completes when the consumer has stopped: with null after {@link #close()}, with the error
   * when it died of one no retry cures (authorization, a fenced {@code group.instance.id}, ...);
   * the worker then takes no more work, {@code /health/live} answers 503, and it should be closed.
   */
  public CompletionStage<Throwable> terminated() {
    return intake.terminated();
  }

  WorkerMetrics metrics() {
    return metrics;
  }

  /** Drains gracefully: stop taking work, finish in-flight within the drain timeout, commit, leave the group. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("event=worker_stopping worker={}", config.worker().id());
    intake.stop(config.intake().drainTimeout().plus(CLOSE_MARGIN));
    try {
      intakeThread.join(CLOSE_MARGIN.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    router.close();
    verifiers.shutdownNow();
    publisher.close(Duration.ofSeconds(10));
    contact.close();
    apps.close();
    budgets.close();
    admin.close(Duration.ofSeconds(5));
    ops.close();
    log.info("event=worker_stopped worker={}", config.worker().id());
  }

  private static Map<String, Object> clientProperties(WorkerConfig config) {
    Map<String, Object> props = config.kafkaProperties();
    // Not a Kafka client setting: it only picks the wire format.
    props.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
    return props;
  }

  private static Map<String, Object> withClientId(Map<String, Object> props, String clientId) {
    Map<String, Object> copy = new HashMap<>(props);
    copy.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    return copy;
  }

  /**
   * @param lingerMs how long a record waits for others to share its batch, unless the config
   *     says otherwise: 1 ms for replies (a caller waits on each; 0 measurably cut throughput
   *     at saturation, see docs/BENCHMARKS.md), a few ms for usage and audit records
   * @param compression the producer's {@code compression.type} (the {@code publishing:} section);
   *     a {@code compression.type} in the {@code kafka:} section no longer applies to outputs
   */
  private static Map<String, Object> producerProperties(Map<String, Object> clientProps, String clientId, int lingerMs,
      String compression) {
    Map<String, Object> props = withClientId(clientProps, clientId);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Reply topics are created on the fly. With several requests in flight, a first batch refused
    // by a partition whose creation the broker has not applied yet lets a later batch land first,
    // and the earlier one then fails as out of order until delivery.timeout.ms (KAFKA-15591).
    // One request in flight per connection keeps batches in order; batching keeps throughput.
    props.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS);
    props.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_SIZE);
    return props;
  }

  private static Map<String, Object> consumerProperties(Map<String, Object> clientProps, WorkerConfig config) {
    Map<String, Object> props = withClientId(clientProps, config.worker().id() + "-consumer");
    props.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, config.topics().prefix() + "llm-broker-worker");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Object protocol = props.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    if (protocol == null || GroupProtocol.CLASSIC.name().equalsIgnoreCase(protocol.toString())) {
      props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
      // The heartbeat runs on the client's own thread, so a busy poll loop never misses it;
      // KIP-848's session timeout is the broker's (group.consumer.session.timeout.ms, 45 s).
      props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
      props.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, SESSION_TIMEOUT_MS / 3);
    }
    return props;
  }
}
