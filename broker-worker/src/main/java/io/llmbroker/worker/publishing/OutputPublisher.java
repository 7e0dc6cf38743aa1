package io.llmbroker.worker.publishing;

import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.ops.WorkerMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes every output of the worker through two idempotent producers: one for responses,
 * tuned to send almost at once because a caller is waiting, and one for usage, audit and dead
 * letters, tuned to batch. A returned future completes when the broker acknowledged the
 * record (acks=all), which is what lets the intake count a request's offset complete.
 *
 * <p>Sends run on one dedicated thread, so a caller (the consumer thread, a provider callback)
 * never blocks on a full buffer or a metadata fetch. A retriable failure that outlived the
 * producer's own retries ({@code delivery.timeout.ms}) is sent again with exponential backoff
 * for as long as the publisher is open; a non-retriable one fails the future, and the intake
 * then holds the offset uncommitted so that the request is read again after a restart.
 *
 * <p>Thread-safe.
 */
public final class OutputPublisher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutputPublisher.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Producer<byte[], byte[]> replies;
  private final Producer<byte[], byte[]> records;
  private final AvroSerdes serdes;
  private final ReplyTopics replyTopics;
  private final WorkerMetrics metrics;
  private final ScheduledThreadPoolExecutor sender = new ScheduledThreadPoolExecutor(1, r -> {
    Thread t = new Thread(r, "output-publisher");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean closed;

  /**
   * @param replies sends responses
   * @param records sends usage, audit and dead-letter records
   */
  public OutputPublisher(Producer<byte[], byte[]> replies, Producer<byte[], byte[]> records, AvroSerdes serdes,
      ReplyTopics replyTopics, WorkerMetrics metrics) {
    this.replies = replies;
    this.records = records;
    this.serdes = serdes;
    this.replyTopics = replyTopics;
    this.metrics = metrics;
    sender.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** Publishes {@code value} keyed by {@code key} to a catalogue topic that already exists. */
  public <T extends SpecificRecord> CompletableFuture<Void> publish(Topic<T> topic, String key, T value) {
    return encodeAndSend(records, topic, key, value);
  }

  /** Publishes to a reply topic, creating it on first use without blocking the caller. */
  public <T extends SpecificRecord> CompletableFuture<Void> publishReply(Topic<T> topic, String key, T value) {
    return replyTopics.ensure(topic).thenCompose(ready -> encodeAndSend(replies, topic, key, value));
  }

  /** Sends the original key, value and headers of {@code original} to the DLQ, adding where from and why. */
  public CompletableFuture<Void> deadLetter(Topic<byte[]> dlq, ConsumerRecord<byte[], byte[]> original, Throwable error) {
    return send(records, new ProducerRecord<>(dlq.name(), null, original.key(), original.value(),
        DeadLetters.headers(original, error)));
  }

  private <T extends SpecificRecord> CompletableFuture<Void> encodeAndSend(Producer<byte[], byte[]> producer,
      Topic<T> topic, String key, T value) {
    byte[] bytes;
    try {
      bytes = serdes.serde(topic.valueType()).serializer().serialize(topic.name(), value);
    } catch (RuntimeException e) {
      metrics.publishFailed();
      return CompletableFuture.failedFuture(e);
    }
    return send(producer, new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8), bytes));
  }

  private CompletableFuture<Void> send(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      sender.execute(() -> attempt(producer, record, acked, 1));
    } catch (RuntimeException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }

  private void attempt(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record,
      CompletableFuture<Void> acked, int attempt) {
    try {
      producer.send(record, (metadata, error) -> {
        if (error == null) {
          acked.complete(null);
        } else {
          failed(producer, record, acked, attempt, error);
        }
      });
    } catch (RuntimeException e) {
      failed(producer, record, acked, attempt, e);
    }
  }

  private void failed(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record,
      CompletableFuture<Void> acked, int attempt, Throwable error) {
    metrics.publishFailed();
    if (error instanceof RetriableException && !closed) {
      long backoff = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt - 1, 16));
      log.warn("event=publish_retry topic={} attempt={} backoff_ms={} error={} message=\"{}\"",
          record.topic(), attempt, backoff, error.getClass().getSimpleName(), error.getMessage());
      try {
        sender.schedule(() -> attempt(producer, record, acked, attempt + 1), backoff, TimeUnit.MILLISECONDS);
        return;
      } catch (RuntimeException rejected) {
        acked.completeExceptionally(error);
        return;
      }
    }
    log.error("event=publish_failed topic={} attempt={} error={} message=\"{}\"",
        record.topic(), attempt, error.getClass().getSimpleName(), error.getMessage());
    acked.completeExceptionally(error);
  }

  /** Stops retrying, flushes what is buffered within {@code timeout}, and closes the producers. */
  public void close(Duration timeout) {
    closed = true;
    sender.shutdown();
    try {
      sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    replies.close(timeout);
    records.close(timeout);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }
}
