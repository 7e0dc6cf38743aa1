package io.llmbroker.gateway.batch;

import io.llmbroker.avro.GatewayFile;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Uploaded files, kept in Kafka so any gateway serves them: the bytes as one record of
 * {@code llm.gateway.file-contents}, the metadata (with where the bytes are) in the compacted
 * {@code llm.gateway.files}. Thread-safe.
 */
public final class FileStore implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final Topics topics;
  private final AvroSerdes serdes;
  private final KafkaProducer<byte[], byte[]> producer;
  private final TopicView<GatewayFile> files;
  private final Clock clock;

  FileStore(Map<String, Object> kafka, Topics topics, AvroSerdes serdes, String clientId, Clock clock) {
    this.kafka = kafka;
    this.topics = topics;
    this.serdes = serdes;
    this.clock = clock;
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.GATEWAY_FILE_MAX_BYTES + 1024 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    this.files = TopicView.start(kafka, clientId + "-files", topics.gatewayFiles().name(),
        serdes.serde(GatewayFile.class).deserializer(), TIMEOUT);
  }

  /** Stores a file of {@code app} and returns its metadata once Kafka holds both records. */
  GatewayFile upload(String app, String filename, String purpose, byte[] content) {
    String id = "file-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    RecordMetadata stored = send(topics.gatewayFileContents().name(), id, content);
    GatewayFile file = GatewayFile.newBuilder().setId(id).setApp(app).setFilename(filename).setPurpose(purpose)
        .setBytes(content.length).setCreatedAt(clock.millis()).setContentPartition(stored.partition())
        .setContentOffset(stored.offset()).build();
    send(topics.gatewayFiles().name(), id, serdes.serde(GatewayFile.class).serializer().serialize(topics.gatewayFiles().name(), file));
    files.applied(id, file);
    return file;
  }

  /** The file {@code id} when {@code app} uploaded it. */
  Optional<GatewayFile> find(String app, String id) {
    return files.get(id).filter(f -> f.getApp().equals(app));
  }

  /** The bytes of a stored file. */
  byte[] content(GatewayFile file) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition partition = new TopicPartition(topics.gatewayFileContents().name(), file.getContentPartition());
      consumer.assign(List.of(partition));
      consumer.seek(partition, file.getContentOffset());
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() == file.getContentOffset()) {
            return r.value();
          }
          throw new IllegalStateException("the bytes of " + file.getId() + " are gone (retention)");
        }
      }
      throw new IllegalStateException("the bytes of " + file.getId() + " were not read within " + TIMEOUT);
    }
  }

  private RecordMetadata send(String topic, String key, byte[] value) {
    try {
      return producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Kafka did not store " + key + " on " + topic + ": " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not acknowledge " + key + " on " + topic + " within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    files.close();
    producer.close(Duration.ofSeconds(5));
  }
}
