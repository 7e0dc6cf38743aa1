package io.llmbroker.client.batch;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.client.BrokerRequest;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.RequestBuilder;
import io.llmbroker.client.RequestSigner;
import io.llmbroker.runtime.topics.ReplyTopics;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Enqueues the lines of one batch: from an OpenAI Batch file ({@link #submitFile}) or from code
 * ({@link #add}).
 *
 * <pre>
 * try (BatchSubmitter batch = BatchSubmitter.open(config, new BatchOptions(id, "research", null, null, "fast", null, null))) {
 *   for (Row row : rows) {
 *     batch.add(row.id(), r -> r.system("Classify the ticket").user(row.text()));
 *   }
 * }
 * </pre>
 *
 * <p>Every line becomes a request with the id {@link BatchId#requestId}, reply_to
 * {@link BatchId#replyService()} and the batch id and custom_id set. Replies go to the batch's own
 * topic {@code llm.responses.batch-<id>}, created here with the reply topics' retention (7 days by
 * default); collect them any time within it with {@link BatchCollector}.
 *
 * <p><b>Resuming.</b> The manifest in the state folder records the line up to which Kafka has
 * acknowledged everything. Opening the same batch id again skips those lines, so re-running an
 * interrupted submission enqueues only the rest; lines sent but not yet acknowledged when the
 * process died are sent again with the same request id, which downstream de-duplication absorbs.
 * A file re-submitted under the same id must be byte-identical; from code, {@link #add} must be
 * called in the same order.
 *
 * <p>Memory is bounded whatever the batch size: lines are read, sent and dropped one at a time,
 * nothing is kept per line (the acknowledgement watermark holds only acknowledgements that
 * arrived ahead of a gap), and the producer blocks when its buffer ({@code buffer.memory}) is full.
 * Not thread-safe: one thread submits.
 */
public final class BatchSubmitter implements AutoCloseable {

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration MANIFEST_EVERY = Duration.ofSeconds(1);

  private final ClientConfig config;
  private final Optional<RequestSigner> signer;
  private final BatchOptions options;
  private final Clock clock;
  private final BatchStore store;
  private final Topic<LlmResponse> replyTopic;
  private final KafkaProducer<String, LlmRequest> producer;
  private final AtomicReference<Exception> sendError = new AtomicReference<>();
  private final AtomicLong failedSends = new AtomicLong();
  private BatchManifest manifest;
  private AckWatermark watermark;
  private long lines;
  private long invalid;
  private long enqueued;
  private long lastManifestAt;

  private BatchSubmitter(ClientConfig config, BatchOptions options, Clock clock) {
    this.config = config;
    this.signer = config.signer();
    this.options = options;
    this.clock = clock;
    this.store = new BatchStore(options.stateDir(), options.batchId());
    this.replyTopic = config.topics().responses(options.batchId().replyService());
    Map<String, Object> props = config.kafkaProperties();
    try {
      ReplyTopics.ensure(props, replyTopic, ADMIN_TIMEOUT);
    } catch (IllegalStateException e) {
      throw new BatchException("cannot prepare batch " + options.batchId() + " on Kafka at " + config.bootstrapServers()
          + ": " + e.getMessage(), e);
    }
    Map<String, Object> producerProps = config.kafkaProperties();
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producerProps.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "20");
    producerProps.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    producerProps.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    this.producer = new KafkaProducer<>(producerProps, new StringSerializer(),
        AvroSerdes.fromConfig(props).serde(LlmRequest.class).serializer());
    this.manifest = store.manifest().orElse(null);
    this.watermark = new AckWatermark(manifest == null ? 0 : manifest.enqueuedThrough());
  }

  /**
   * Opens a batch for submission, creating its reply topic; re-opening an existing batch id resumes it.
   *
   * @throws BatchException when Kafka cannot be reached or the state folder cannot be read
   */
  public static BatchSubmitter open(ClientConfig config, BatchOptions options) {
    return open(config, options, Clock.systemUTC());
  }

  public static BatchSubmitter open(ClientConfig config, BatchOptions options, Clock clock) {
    return new BatchSubmitter(Objects.requireNonNull(config), Objects.requireNonNull(options), Objects.requireNonNull(clock));
  }

  public BatchId batchId() {
    return options.batchId();
  }

  /** The topic the batch's replies go to. */
  public String replyTopic() {
    return replyTopic.name();
  }

  /**
   * Enqueues one request built in code. The spec sets model (unless the options name one),
   * messages and parameters; ids, reply_to, team, app and priority are the batch's.
   *
   * <p>Unlike a file, whose custom_ids are checked for duplicates before anything is sent, lines
   * added here are not: that check would hold one entry per line in memory. A repeated custom_id
   * still gets a request id of its own (the line is part of it) and a result line of its own.
   *
   * @return the line number given to it (1-based, in call order)
   * @throws IllegalArgumentException when the custom_id is blank or the spec is incomplete
   */
  public long add(String customId, Consumer<RequestBuilder> spec) {
    if (customId == null || customId.isBlank()) {
      throw new IllegalArgumentException("custom_id must not be blank: '" + customId + "'");
    }
    start("api", null);
    long line = ++lines;
    RequestBuilder builder = builder();
    spec.accept(builder);
    BrokerRequest request = builder.id(options.batchId().requestId(line, customId))
        .batch(options.batchId().value(), customId)
        .replyTo(options.batchId().replyService())
        .team(options.team()).app(options.app()).priority(options.priority())
        .build();
    if (line > watermark.through()) {
      send(line, request);
    }
    maybeSaveManifest(false);
    return line;
  }

  /**
   * Enqueues every valid line of a validated file. Lines already acknowledged by an earlier run
   * of this batch are skipped; invalid lines are recorded as failed results.
   *
   * @param progress told lines handled out of lines in the file
   * @throws BatchException when the file has invalid lines and {@code skipInvalid} is false, when the
   *     batch was submitted from a different file, or when Kafka failed to store some lines (re-run to resume)
   */
  public SubmitReport submitFile(BatchFileValidation validation, boolean skipInvalid, ProgressListener progress) {
    if (!validation.valid() && !skipInvalid) {
      throw new BatchException(validation.errors().size() + " invalid lines in " + validation.file() + "; nothing was enqueued");
    }
    start("file:" + validation.file().toAbsolutePath(), validation.sha256());
    long resumedFrom = watermark.through();
    Iterator<LineError> errors = validation.errors().iterator();
    LineError nextError = errors.hasNext() ? errors.next() : null;
    try (BufferedReader in = Files.newBufferedReader(validation.file(), StandardCharsets.UTF_8);
        BatchStore.Spool spool = store.spool()) {
      String text;
      while ((text = in.readLine()) != null) {
        long line = ++lines;
        boolean bad = nextError != null && nextError.line() == line;
        if (bad) {
          invalid++;
        }
        if (line > resumedFrom) {
          if (bad) {
            String id = options.batchId().requestId(line, nextError.customId() == null ? "" : nextError.customId());
            spool.append(new BatchStore.Entry(line, "INVALID_LINE", 0, clock.millis(), OpenAiBatchFormat.invalidLine(id, nextError)));
            spool.sync();
            watermark.ack(line);
          } else {
            send(line, request(OpenAiBatchFormat.parse(text, line, options.model() == null)));
          }
        }
        if (bad) {
          nextError = errors.hasNext() ? errors.next() : null;
        }
        if ((line & 1023) == 0) {
          progress.progress(line, validation.lines());
          maybeSaveManifest(false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read batch file " + validation.file() + ": " + e.getMessage(), e);
    } catch (InvalidLineException e) {
      throw new BatchException("batch file " + validation.file() + " changed after validation: " + e.getMessage(), e);
    }
    finish();
    progress.progress(lines, validation.lines());
    return new SubmitReport(options.batchId(), replyTopic.name(), lines, enqueued, resumedFrom, invalid);
  }

  /**
   * What a file submission did.
   *
   * @param lines lines in the file
   * @param enqueued requests sent by this run
   * @param alreadyEnqueued lines skipped because an earlier run had enqueued them
   * @param invalid invalid lines, recorded as failures
   */
  public record SubmitReport(BatchId batchId, String replyTopic, long lines, long enqueued, long alreadyEnqueued, long invalid) {}

  private RequestBuilder builder() {
    return RequestBuilder.create(clock).timeout(options.completionWindow()).model(options.model());
  }

  private BrokerRequest request(BatchLine line) {
    RequestBuilder b = builder();
    if (options.model() == null) {
      b.model(line.model());
    }
    return b.messages(line.messages()).params(line.params())
        .id(options.batchId().requestId(line.line(), line.customId()))
        .batch(options.batchId().value(), line.customId())
        .replyTo(options.batchId().replyService())
        .team(options.team()).app(options.app()).priority(options.priority())
        .build();
  }

  private void start(String source, String sha256) {
    if (manifest == null) {
      manifest = new BatchManifest(options.batchId().value(), replyTopic.name(), options.team(), options.app(),
          options.priority().name(), source, sha256, 0, 0, 0, clock.millis(), false);
      store.writeManifest(manifest);
      lastManifestAt = clock.millis();
      return;
    }
    if (!Objects.equals(manifest.source().startsWith("file:") ? "file" : "api", source.startsWith("file:") ? "file" : "api")
        || !Objects.equals(manifest.sha256(), sha256)) {
      throw new BatchException("batch " + options.batchId() + " was submitted from " + manifest.source()
          + (manifest.sha256() != null ? " (sha256 " + manifest.sha256() + ")" : "")
          + "; re-submit the same input under this id, or use a new batch id");
    }
  }

  private void send(long line, BrokerRequest request) {
    String topic = config.topics().requests(request.priority()).name();
    LlmRequest value = signer.map(s -> s.sign(request.request(), topic)).orElse(request.request());
    ProducerRecord<String, LlmRequest> record = new ProducerRecord<>(topic, request.id(), value);
    producer.send(record, (metadata, error) -> {
      if (error == null) {
        watermark.ack(line);
      } else {
        failedSends.incrementAndGet();
        sendError.compareAndSet(null, error);
      }
    });
    enqueued++;
  }

  private void maybeSaveManifest(boolean complete) {
    long now = clock.millis();
    if (complete || now - lastManifestAt >= MANIFEST_EVERY.toMillis()) {
      lastManifestAt = now;
      manifest = manifest.withProgress(Math.max(lines, manifest.lines()), Math.max(invalid, manifest.invalidLines()),
          watermark.through(), complete);
      store.writeManifest(manifest);
    }
  }

  private void finish() {
    producer.flush();
    boolean complete = sendError.get() == null && watermark.through() >= lines;
    maybeSaveManifest(complete);
    if (sendError.get() != null) {
      throw new BatchException(failedSends.get() + " requests of batch " + options.batchId() + " were not enqueued ("
          + sendError.get().getMessage() + "); re-run the same submission to enqueue the rest", sendError.get());
    }
  }

  /** Flushes what was added and records the batch as fully enqueued. */
  @Override
  public void close() {
    try {
      if (manifest != null && !manifest.complete()) {
        finish();
      }
    } finally {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
