package io.llmbroker.costs;

import io.llmbroker.costs.budgets.BudgetsHandler;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.query.CostQueryHandler;
import io.llmbroker.costs.instances.FanOutAnswerer;
import io.llmbroker.costs.page.CostsPage;
import io.llmbroker.costs.topology.CostTopology;
import io.llmbroker.runtime.ops.OpsServer;
import io.llmbroker.runtime.streams.RestoreMetrics;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running cost aggregator: the Streams job of {@link CostTopology} plus its ops server, which
 * serves {@code /health/live}, {@code /health/ready} (ready while Streams is RUNNING),
 * {@code /metrics}, the query API at {@value CostQueryHandler#PATH}, budgets at {@value BudgetsHandler#PATH}
 * and the page at {@value CostsPage#PATH}.
 *
 * <p>Any instance answers a whole query: it is {@code application.server} {@code advertised-host:port}
 * and asks the others for their part (see {@link FanOutAnswerer}). Thread-safe; {@link #close()}
 * is idempotent.
 */
public final class CostAggregatorService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CostAggregatorService.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final int QUERY_THREADS = 4;

  private final KafkaStreams streams;
  private final OpsServer ops;
  private final KafkaStreamsMetrics streamsMetrics;
  private final ExecutorService queries;

  private CostAggregatorService(KafkaStreams streams, OpsServer ops, KafkaStreamsMetrics streamsMetrics,
      ExecutorService queries) {
    this.streams = streams;
    this.ops = ops;
    this.streamsMetrics = streamsMetrics;
    this.queries = queries;
  }

  /**
   * Creates the topics it uses where missing, starts the Streams job and the ops server, and
   * returns without waiting for the job to be RUNNING (see {@link #ready()}).
   *
   * @param env the environment the config was read with; nothing else is read from it yet
   * @throws IllegalStateException when the topics cannot be created
   * @throws java.io.UncheckedIOException when the ops port cannot be bound
   */
  public static CostAggregatorService start(CostAggregatorConfig config, Map<String, String> env) {
    Topics topics = config.topics().catalogue();
    int partitions;
    try (Admin admin = Admin.create(config.kafkaMap())) {
      Topics.createMissing(admin, List.of(topics.usage(), topics.costRollups(), topics.dlq(), topics.budgets(),
              topics.budgetState(), topics.budgetAlerts()),
          config.topics().replicationFactor());
      partitions = partitionCount(admin, topics.usage().name());
    }
    AvroSerdes serdes = AvroSerdes.fromConfig(config.kafkaMap());
    PrometheusMeterRegistry registry = OpsServer.newRegistry();
    AtomicReference<KafkaStreams> job = new AtomicReference<>();
    // The ops server is bound first: its port is the application.server other instances call.
    OpsServer ops = new OpsServer(config.ops().host(), config.ops().port(), registry,
        () -> job.get() != null && job.get().state() != KafkaStreams.State.ERROR
            && job.get().state() != KafkaStreams.State.PENDING_ERROR,
        () -> job.get() != null && job.get().state() == KafkaStreams.State.RUNNING);
    HostInfo self = new HostInfo(config.query().advertisedHost(), ops.port());
    Properties props = config.streams().memberProperties(config.kafka(), config.topics());
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    KafkaStreams streams = new KafkaStreams(CostTopology.topology(topics, serdes, config.rollup()), props);
    job.set(streams);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("cost aggregator stream thread failed, replacing it: {}", e.toString(), e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> LOG.info("cost aggregator streams {} -> {}", before, now));
    streams.setGlobalStateRestoreListener(new RestoreMetrics(registry));
    KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(ops.registry());
    FanOutAnswerer answerer = new FanOutAnswerer(streams, self,
        config.streams().applicationId() + "-" + CostTopology.REPARTITION + "-repartition", partitions,
        config.query().fanOutTimeout());
    ExecutorService queries = Executors.newFixedThreadPool(QUERY_THREADS, r -> {
      Thread t = new Thread(r, "cost-query");
      t.setDaemon(true);
      return t;
    });
    ops.handle(CostQueryHandler.PATH, new CostQueryHandler(answerer, Clock.systemUTC(), config.rollup().tags(), queries));
    ops.handle(CostsPage.PATH, new CostsPage());
    ops.handle(BudgetsHandler.PATH, new BudgetsHandler(streams, topics, serdes, Clock.systemUTC()));
    streams.start();
    LOG.info("cost aggregator reading {} on port {}, advertised as {}:{}", topics.usage().name(), ops.port(),
        self.host(), self.port());
    return new CostAggregatorService(streams, ops, streamsMetrics, queries);
  }

  private static int partitionCount(Admin admin, String topic) {
    try {
      return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic " + topic, e);
    }
  }

  /** The ops and query port (the bound one when 0 was configured). */
  public int port() {
    return ops.port();
  }

  /** True while the Streams job is RUNNING, i.e. its stores answer queries. */
  public boolean ready() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /** Stops serving, then closes Streams, committing what it processed. */
  @Override
  public void close() {
    ops.close();
    queries.shutdownNow();
    streamsMetrics.close();
    // Leaving the group hands the partitions over at once instead of after the session timeout.
    if (!streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP))) {
      // Under exactly-once, local state is reused only after a clean close: the next start rebuilds it.
      LOG.error("event=close_timeout job=cost-aggregator timeout_s={}: the next start restores its state from the changelogs",
          CLOSE_TIMEOUT.toSeconds());
    }
  }
}
