package io.llmbroker.gateway.batch;

import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.client.batch.OpenAiBatchFormat;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A batch's progress, read from its reply topic {@code llm.responses.batch-<id>}, which every
 * gateway can read: so no instance owns a batch. Each instance keeps, per batch, how far it has
 * read and what it counted, and reads only what is new on the next call. A line answered twice
 * (at-least-once delivery) counts once, by its first answer. Thread-safe.
 */
final class BatchProgress {

  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final Topics topics;
  private final Deserializer<LlmResponse> decoder;
  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();

  BatchProgress(Map<String, Object> kafka, Topics topics, AvroSerdes serdes) {
    this.kafka = kafka;
    this.topics = topics;
    this.decoder = serdes.serde(LlmResponse.class).deserializer();
  }

  /** The reply service of a batch: its replies arrive on {@code llm.responses.batch-<id>}. */
  static String replyService(String batchId) {
    return "batch-" + batchId;
  }

  /** The counts so far. */
  Counts counts(GatewayBatch batch) {
    Tally tally = tallies.computeIfAbsent(batch.getId(), id -> new Tally());
    synchronized (tally) {
      read(batch.getId(), tally.positions, r -> tally.count(r));
      return new Counts(tally.answered.size(), tally.failed, tally.lastAnswerAt);
    }
  }

  /**
   * Hands every first answer so far to {@code sink}, in the order they arrived.
   *
   * @param failedOnly only the answers that are not OK (the error file)
   */
  void answers(GatewayBatch batch, boolean failedOnly, Consumer<LlmResponse> sink) {
    Set<String> seen = new HashSet<>();
    read(batch.getId(), new HashMap<>(), r -> {
      if (seen.add(r.getCustomId()) && (!failedOnly || OpenAiBatchFormat.failed(r))) {
        sink.accept(r);
      }
    });
  }

  private void read(String batchId, Map<TopicPartition, Long> positions, Consumer<LlmResponse> sink) {
    String topic = topics.responses(replyService(batchId)).name();
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      if (partitions.isEmpty()) {
        return;
      }
      consumer.assign(partitions);
      for (TopicPartition p : partitions) {
        Long at = positions.get(p);
        if (at == null) {
          consumer.seekToBeginning(List.of(p));
        } else {
          consumer.seek(p, at);
        }
      }
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), TIMEOUT) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("replies of batch " + batchId + " not read within " + TIMEOUT);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
          LlmResponse reply = decode(record);
          if (reply != null && reply.getCustomId() != null) {
            sink.accept(reply);
          }
        }
      }
      partitions.forEach(p -> positions.put(p, consumer.position(p, TIMEOUT)));
    }
  }

  private LlmResponse decode(ConsumerRecord<byte[], byte[]> record) {
    try {
      return record.value() == null ? null : decoder.deserialize(record.topic(), record.value());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Answers counted so far; {@code lastAnswerAt} is epoch millis, 0 before the first. */
  record Counts(int answered, int failed, long lastAnswerAt) {}

  private static final class Tally {
    final Map<TopicPartition, Long> positions = new HashMap<>();
    final Set<String> answered = new HashSet<>();
    int failed;
    long lastAnswerAt;

    void count(LlmResponse reply) {
      if (answered.add(reply.getCustomId())) {
        if (OpenAiBatchFormat.failed(reply)) {
          failed++;
        }
        lastAnswerAt = Math.max(lastAnswerAt, reply.getCompletedAt());
      }
    }
  }
}
