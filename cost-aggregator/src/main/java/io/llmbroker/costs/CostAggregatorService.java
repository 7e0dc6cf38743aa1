package io.llmbroker.costs;

import io.llmbroker.costs.budgets.BudgetsHandler;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.query.CostQueryHandler;
import io.llmbroker.costs.query.StreamsRollupSource;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running cost aggregator: the Streams job of {@link CostTopology} plus its ops server, which
 * serves {@code /health/live}, {@code /health/ready} (ready while Streams is RUNNING),
 * {@code /metrics}, the query API at {@value CostQueryHandler#PATH} and budgets at {@value BudgetsHandler#PATH}.
 *
 * <p>Interactive queries read this instance's stores only; one instance is enough for now (see
 * {@link StreamsRollupSource}). Thread-safe; {@link #close()} is idempotent.
 */
public final class CostAggregatorService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CostAggregatorService.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaStreams streams;
  private final OpsServer ops;
  private final KafkaStreamsMetrics streamsMetrics;

  private CostAggregatorService(KafkaStreams streams, OpsServer ops, KafkaStreamsMetrics streamsMetrics) {
    this.streams = streams;
    this.ops = ops;
    this.streamsMetrics = streamsMetrics;
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
    try (Admin admin = Admin.create(config.kafkaMap())) {
      Topics.createMissing(admin, List.of(topics.usage(), topics.costRollups(), topics.dlq(), topics.budgets(),
              topics.budgetState(), topics.budgetAlerts()),
          config.topics().replicationFactor());
    }
    AvroSerdes serdes = AvroSerdes.fromConfig(config.kafkaMap());
    KafkaStreams streams = new KafkaStreams(CostTopology.topology(topics, serdes, config.rollup()),
        config.streams().memberProperties(config.kafka(), config.topics()));
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("cost aggregator stream thread failed, replacing it: {}", e.toString(), e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> LOG.info("cost aggregator streams {} -> {}", before, now));
    PrometheusMeterRegistry registry = OpsServer.newRegistry();
    streams.setGlobalStateRestoreListener(new RestoreMetrics(registry));
    OpsServer ops = new OpsServer(config.ops().host(), config.ops().port(), registry,
        () -> streams.state() != KafkaStreams.State.ERROR && streams.state() != KafkaStreams.State.PENDING_ERROR,
        () -> streams.state() == KafkaStreams.State.RUNNING);
    KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(ops.registry());
    ops.handle(CostQueryHandler.PATH, new CostQueryHandler(new StreamsRollupSource(streams), Clock.systemUTC()));
    ops.handle(BudgetsHandler.PATH, new BudgetsHandler(streams, topics, serdes, Clock.systemUTC()));
    streams.start();
    LOG.info("cost aggregator reading {} on port {}", topics.usage().name(), ops.port());
    return new CostAggregatorService(streams, ops, streamsMetrics);
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
    streamsMetrics.close();
    // Leaving the group hands the partitions over at once instead of after the session timeout.
    if (!streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP))) {
      // Under exactly-once, local state is reused only after a clean close: the next start rebuilds it.
      LOG.error("event=close_timeout job=cost-aggregator timeout_s={}: the next start restores its state from the changelogs",
          CLOSE_TIMEOUT.toSeconds());
    }
  }
}
