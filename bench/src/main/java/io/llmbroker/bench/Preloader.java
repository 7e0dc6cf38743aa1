package io.llmbroker.bench;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.client.RequestBuilder;
import io.llmbroker.client.RequestSigner;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Enqueues a backlog of requests as fast as Kafka takes them, before the worker under test
 * starts: a batching, compressing producer writing straight to a request topic, the way a
 * batch submitter would. Requests are built with the client library's {@link RequestBuilder},
 * keyed by their random id, so they spread over every partition. Not thread-safe.
 */
final class Preloader implements AutoCloseable {

  /** Far enough away that no preloaded request expires during a run. */
  private static final Duration TIMEOUT = Duration.ofHours(1);

  private final KafkaProducer<String, LlmRequest> producer;
  private final Clock clock;

  Preloader(String bootstrapServers, Clock clock) {
    Map<String, Object> props = new HashMap<>();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    this.producer = new KafkaProducer<>(props, new StringSerializer(),
        AvroSerdes.fromConfig(props).serde(LlmRequest.class).serializer());
    this.clock = clock;
  }

  /**
   * Sends {@code count} requests for {@link BenchWorkers#MODEL} to the topic of {@code priority}
   * and returns once Kafka acknowledged all of them.
   *
   * @throws IllegalStateException when Kafka refused a request
   */
  void send(Topics topics, Priority priority, String replyTo, String team, int count) {
    send(topics, priority, replyTo, team, count, Optional.empty());
  }

  /** As {@link #send(Topics, Priority, String, String, int)}, each request signed by {@code signer} when given. */
  void send(Topics topics, Priority priority, String replyTo, String team, int count, Optional<RequestSigner> signer) {
    String topic = topics.requests(priority).name();
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (ProgressBar progress = new ProgressBarBuilder().setTaskName("enqueue " + priority.name().toLowerCase())
        .setInitialMax(count).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed()
        .continuousUpdate().build()) {
      for (int i = 0; i < count && failure.get() == null; i++) {
        LlmRequest request = RequestBuilder.create(clock)
            .model(BenchWorkers.MODEL).team(team).app("bench").replyTo(replyTo).timeout(TIMEOUT)
            .user("Summarise support ticket #" + i + " in one line.")
            .build().request();
        if (signer.isPresent()) {
          request = signer.get().sign(request, topic);
        }
        producer.send(new ProducerRecord<>(topic, request.getId(), request), (metadata, error) -> {
          if (error != null) {
            failure.compareAndSet(null, error);
          } else {
            progress.step();
          }
        });
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("Kafka refused a preloaded request: " + failure.get().getMessage(), failure.get());
    }
  }

  /**
   * The partition of a topic with {@code partitions} partitions that a request keyed by
   * {@code requestId} went to: the formula of the producer's default partitioner for a keyed record.
   */
  static int partitionOf(String requestId, int partitions) {
    return Utils.toPositive(Utils.murmur2(requestId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
