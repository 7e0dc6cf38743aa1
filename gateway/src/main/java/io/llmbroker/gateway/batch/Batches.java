package io.llmbroker.gateway.batch;

import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.avro.GatewayBatchError;
import io.llmbroker.avro.GatewayFile;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.client.BrokerRequest;
import io.llmbroker.client.RequestBuilder;
import io.llmbroker.client.RequestSigner;
import io.llmbroker.client.batch.BatchLine;
import io.llmbroker.client.batch.InvalidLineException;
import io.llmbroker.client.batch.OpenAiBatchFormat;
import io.llmbroker.gateway.chat.ModelCeiling;
import io.llmbroker.gateway.keys.Caller;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's batches. A batch's record lives in the compacted {@code llm.gateway.batches}, its
 * answers on its own reply topic, so every instance answers for every batch. The instance that
 * creates a batch validates its file and enqueues its lines on {@code llm.requests.batch}, on a
 * thread of its own; an instance that dies while doing so leaves the batch {@code validating} (the
 * caller creates it again). Thread-safe.
 */
public final class Batches implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Batches.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_ERRORS = 100;

  private final Topics topics;
  private final AvroSerdes serdes;
  private final Map<String, Object> kafka;
  private final short replication;
  private final Optional<RequestSigner> signer;
  private final Clock clock;
  private final FileStore files;
  private final TopicView<GatewayBatch> batches;
  private final BatchProgress progress;
  private final KafkaProducer<String, byte[]> producer;
  private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "gateway-batches");
    t.setDaemon(true);
    return t;
  });

  /**
   * Creates the gateway's topics when missing and loads the batches and files.
   *
   * @param kafka Kafka client properties (no {@code schema.registry.url})
   */
  public Batches(Map<String, Object> kafka, Topics topics, short replication, AvroSerdes serdes, Optional<RequestSigner> signer,
      String clientId, Clock clock) {
    this.kafka = kafka;
    this.topics = topics;
    this.serdes = serdes;
    this.replication = replication;
    this.signer = signer;
    this.clock = clock;
    try (Admin admin = Admin.create(kafka)) {
      Topics.createMissing(admin, List.of(topics.gatewayFiles(), topics.gatewayFileContents(), topics.gatewayBatches(),
          topics.requests(Priority.BATCH)), replication);
    }
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
    this.files = new FileStore(kafka, topics, serdes, clientId, clock);
    this.batches = TopicView.start(kafka, clientId + "-batches", topics.gatewayBatches().name(),
        serdes.serde(GatewayBatch.class).deserializer(), TIMEOUT);
    this.progress = new BatchProgress(kafka, topics, serdes);
  }

  FileStore files() {
    return files;
  }

  BatchProgress progress() {
    return progress;
  }

  /** Records a new batch as {@code validating} and starts enqueueing it in the background. */
  GatewayBatch create(Caller caller, GatewayFile input, String completionWindow, Duration window, Map<String, String> metadata) {
    long now = clock.millis();
    GatewayBatch batch = GatewayBatch.newBuilder()
        .setId("batch_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24))
        .setApp(caller.app().getId())
        .setInputFileId(input.getId())
        .setCompletionWindow(completionWindow)
        .setCreatedAt(now)
        .setExpiresAt(now + window.toMillis())
        .setMetadata(metadata)
        .build();
    put(batch);
    runner.execute(() -> enqueue(batch, caller, input));
    return batch;
  }

  Optional<GatewayBatch> find(String app, String id) {
    return batches.get(id).filter(b -> b.getApp().equals(app));
  }

  /** The app's batches, newest first. */
  List<GatewayBatch> list(String app) {
    return batches.values().stream().filter(b -> b.getApp().equals(app))
        .sorted(Comparator.comparingLong(GatewayBatch::getCreatedAt).reversed().thenComparing(GatewayBatch::getId)).toList();
  }

  /**
   * Cancels a batch: its counts and output stop at what was answered until now. Lines already on
   * Kafka are still served by the workers (a request on a topic cannot be taken back).
   */
  GatewayBatch cancel(GatewayBatch batch) {
    GatewayBatch cancelled = GatewayBatch.newBuilder(batch).setStatus("cancelled").setCancelledAt(clock.millis()).build();
    put(cancelled);
    return cancelled;
  }

  private void enqueue(GatewayBatch batch, Caller caller, GatewayFile input) {
    try {
      List<GatewayBatchError> errors = new ArrayList<>();
      List<BatchLine> lines = read(files.content(input), caller, errors);
      if (!errors.isEmpty() || lines.isEmpty()) {
        if (lines.isEmpty() && errors.isEmpty()) {
          errors.add(error("empty_file", "The input file has no lines.", null));
        }
        put(GatewayBatch.newBuilder(batch).setStatus("failed").setFailedAt(clock.millis()).setErrors(errors).build());
        return;
      }
      String service = BatchProgress.replyService(batch.getId());
      try (Admin admin = Admin.create(kafka)) {
        Topics.createMissing(admin, List.of(topics.responses(service)), replication);
      }
      String topic = topics.requests(Priority.BATCH).name();
      var serializer = serdes.serde(LlmRequest.class).serializer();
      for (BatchLine line : lines) {
        BrokerRequest request = RequestBuilder.create(clock)
            .id(batch.getId() + "-" + line.line())
            .team(caller.app().getTeam())
            .app(caller.app().getId())
            .customer(caller.key().getCustomer())
            .model(line.model())
            .messages(line.messages())
            .params(ModelCeiling.apply(line.params(), caller.app()))
            .replyTo(service)
            .priority(Priority.BATCH)
            .deadline(java.time.Instant.ofEpochMilli(batch.getExpiresAt()))
            .timeout(Duration.ofMillis(Math.max(1, batch.getExpiresAt() - clock.millis())))
            .batch(batch.getId(), line.customId())
            .build();
        LlmRequest value = signer.map(s -> s.sign(request.request(), topic)).orElse(request.request());
        producer.send(new ProducerRecord<>(topic, request.id(), serializer.serialize(topic, value)));
      }
      producer.flush();
      put(GatewayBatch.newBuilder(batch).setStatus("in_progress").setTotal(lines.size()).setInProgressAt(clock.millis()).build());
      log.info("event=gateway_batch_enqueued batch={} app={} lines={}", batch.getId(), batch.getApp(), lines.size());
    } catch (RuntimeException e) {
      log.error("event=gateway_batch_failed batch={} error={}", batch.getId(), e.toString(), e);
      put(GatewayBatch.newBuilder(batch).setStatus("failed").setFailedAt(clock.millis())
          .setErrors(List.of(error("enqueue_failed", "The batch could not be enqueued: " + e.getMessage(), null))).build());
    }
  }

  /** The valid lines; each problem goes to {@code errors} (at most {@value #MAX_ERRORS} listed). */
  private static List<BatchLine> read(byte[] content, Caller caller, List<GatewayBatchError> errors) {
    List<BatchLine> lines = new ArrayList<>();
    Set<String> customIds = new HashSet<>();
    String[] texts = new String(content, StandardCharsets.UTF_8).split("\r?\n", -1);
    for (int i = 0; i < texts.length; i++) {
      long number = i + 1;
      if (texts[i].isBlank() && i == texts.length - 1) {
        break;
      }
      try {
        BatchLine line = OpenAiBatchFormat.parse(texts[i], number, true);
        if (!customIds.add(line.customId())) {
          add(errors, GatewayBatchError.newBuilder().setCode("duplicate_custom_id").setLine(number).setParam("custom_id")
              .setMessage("The custom_id '" + line.customId() + "' appears more than once.").build());
        } else if (!caller.mayUse(line.model())) {
          add(errors, GatewayBatchError.newBuilder().setCode("model_not_found").setLine(number).setParam("body.model")
              .setMessage("The model '" + line.model() + "' does not exist or you do not have access to it.").build());
        } else {
          lines.add(line);
        }
      } catch (InvalidLineException e) {
        add(errors, GatewayBatchError.newBuilder().setCode("invalid_request").setLine(number).setMessage(e.getMessage()).build());
      }
    }
    return lines;
  }

  private static void add(List<GatewayBatchError> errors, GatewayBatchError error) {
    if (errors.size() < MAX_ERRORS) {
      errors.add(error);
    }
  }

  private static GatewayBatchError error(String code, String message, Long line) {
    return GatewayBatchError.newBuilder().setCode(code).setMessage(message).setLine(line).build();
  }

  private void put(GatewayBatch batch) {
    String topic = topics.gatewayBatches().name();
    try {
      producer.send(new ProducerRecord<>(topic, batch.getId(), serdes.serde(GatewayBatch.class).serializer().serialize(topic, batch)))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Kafka did not store batch " + batch.getId() + ": " + e.getMessage(), e);
    }
    batches.applied(batch.getId(), batch);
  }

  @Override
  public void close() {
    runner.shutdownNow();
    producer.close(Duration.ofSeconds(5));
    batches.close();
    files.close();
  }
}
