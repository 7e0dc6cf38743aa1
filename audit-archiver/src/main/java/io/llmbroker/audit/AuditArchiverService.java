package io.llmbroker.audit;

import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.redaction.PersonalData;
import io.llmbroker.audit.redaction.Redactor;
import io.llmbroker.audit.topology.AuditTopology;
import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.ops.OpsServer;
import io.llmbroker.runtime.streams.RestoreMetrics;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running audit archiver: the Streams job of {@link AuditTopology} writing under
 * {@link #archiveDir()}, plus its ops server ({@code /health/live}, {@code /health/ready} while
 * Streams is RUNNING, {@code /metrics}). Read the archive with {@link AuditArchive}.
 * Thread-safe; {@link #close()} flushes the buffer into the archive and is idempotent.
 */
public final class AuditArchiverService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AuditArchiverService.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final Map<String, Object> CHANGELOG_PRODUCER = Map.of(
      ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
      ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);

  private final KafkaStreams streams;
  private final OpsServer ops;
  private final KafkaStreamsMetrics streamsMetrics;
  private final Path archiveDir;

  private AuditArchiverService(KafkaStreams streams, OpsServer ops, KafkaStreamsMetrics streamsMetrics, Path archiveDir) {
    this.streams = streams;
    this.ops = ops;
    this.streamsMetrics = streamsMetrics;
    this.archiveDir = archiveDir;
  }

  /**
   * Creates the archive folder and the topics it reads where missing, starts the Streams job and
   * the ops server, and returns without waiting for the job to be RUNNING (see {@link #ready()}).
   *
   * @param env the environment the config was read with; nothing else is read from it yet
   * @throws ConfigException when the archive folder cannot be created
   * @throws IllegalStateException when the topics cannot be created
   * @throws java.io.UncheckedIOException when the ops port cannot be bound
   */
  public static AuditArchiverService start(AuditArchiverConfig config, Map<String, String> env) {
    return start(config, env, UnaryOperator.identity());
  }

  /** As {@link #start(AuditArchiverConfig, Map)}, with the redactor wrapped: for tests that stall a record. */
  static AuditArchiverService start(AuditArchiverConfig config, Map<String, String> env, UnaryOperator<Redactor> wrap) {
    Path archiveDir = config.archive().dir();
    try {
      Files.createDirectories(archiveDir);
    } catch (IOException e) {
      throw ConfigException.forKey("archive.dir", "cannot create '" + archiveDir + "': " + e);
    }
    Topics topics = config.topics().catalogue();
    try (Admin admin = Admin.create(config.kafkaMap())) {
      Topics.createMissing(admin, List.of(topics.audit(), topics.dlq()), config.topics().replicationFactor());
    }
    PrometheusMeterRegistry registry = OpsServer.newRegistry();
    ArchiveDirectory archive = new ArchiveDirectory(archiveDir);
    Redactor redactor = wrap.apply(Redactor.secrets().andThen(new PersonalData(config.redaction())));
    KafkaStreams streams = new KafkaStreams(AuditTopology.topology(topics, AvroSerdes.fromConfig(config.kafkaMap()),
        archive, redactor, config.archive(), Clock.systemUTC(), registry),
        streamsProperties(config));
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("audit archiver stream thread failed, replacing it: {}", e.toString(), e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> LOG.info("audit archiver streams {} -> {}", before, now));
    streams.setGlobalStateRestoreListener(new RestoreMetrics(registry));
    OpsServer ops = new OpsServer(config.ops().host(), config.ops().port(), registry,
        () -> streams.state() != KafkaStreams.State.ERROR && streams.state() != KafkaStreams.State.PENDING_ERROR,
        () -> streams.state() == KafkaStreams.State.RUNNING);
    KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    streams.start();
    LOG.info("audit archiver reading {} into {}", topics.audit().name(), archiveDir.toAbsolutePath());
    return new AuditArchiverService(streams, ops, streamsMetrics, archiveDir);
  }

  /**
   * The job's Streams properties, with the buffer's changelog sent in large lz4 batches unless the
   * {@code kafka} section says otherwise: it carries every archived record once, so its bytes are
   * most of what the archiver sends the broker.
   */
  static Properties streamsProperties(AuditArchiverConfig config) {
    Properties props = config.streams().memberProperties(config.kafka(), config.topics());
    CHANGELOG_PRODUCER.forEach((key, value) -> {
      if (!props.containsKey(key) && !props.containsKey(StreamsConfig.producerPrefix(key))) {
        props.put(StreamsConfig.producerPrefix(key), value);
      }
    });
    return props;
  }

  /** The archive's root folder, as configured. */
  public Path archiveDir() {
    return archiveDir;
  }

  /** The ops port (the bound one when 0 was configured). */
  public int port() {
    return ops.port();
  }

  /** True while the Streams job is RUNNING. */
  public boolean ready() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /** Stops serving, then closes Streams, which flushes the buffer into the archive and commits. */
  @Override
  public void close() {
    ops.close();
    streamsMetrics.close();
    // Leaving the group hands the partitions over at once instead of after the session timeout.
    if (!streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP))) {
      // Under exactly-once, local state is reused only after a clean close: the next start rebuilds it.
      LOG.error("event=close_timeout job=audit-archiver timeout_s={}: the next start restores its state from the changelogs",
          CLOSE_TIMEOUT.toSeconds());
    }
  }
}
