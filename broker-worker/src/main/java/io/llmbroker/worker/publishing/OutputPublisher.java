package io.llmbroker.worker.publishing;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.runtime.logging.LogLimiter;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.runtime.topics.ReplyTopics;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.ops.WorkerMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Publishes every output of the worker through two idempotent producers: one for responses,
 * tuned to send almost at once because a caller is waiting, and one for usage, audit and dead
 * letters, tuned to batch. A returned future completes when the broker acknowledged the
 * record (acks=all), which is what lets the intake count a request's offset complete.
 *
 * <p>Sends run on one dedicated thread, so a caller (the consumer thread, a provider callback)
 * never blocks on a full buffer or a metadata fetch; a reply topic is found or created before
 * anything is sent to it, so that thread does not wait on metadata for a topic that does not
 * exist (the worker also bounds any such wait with {@code max.block.ms}).
 *
 * <p>No output can hold its request's offset for good. An output is tried at most
 * {@code maxAttempts} times (a retriable failure is tried again after the shared
 * {@link Backoff}; a non-retriable one, such as a record too large or a reply topic that cannot
 * be created, is not). When one still fails, its stand-in is sent (a {@linkplain Trimmed#audit
 * trimmed audit record}; an ERROR reply when the reply topic refused the response) and the
 * original request goes to the DLQ, naming the outputs that failed; the request then counts as
 * done. Only a dead letter that cannot be written (Kafka unreachable) fails the future, so that
 * the intake holds the offset and the request is read again after a restart: nothing is
 * committed that is recorded nowhere.
 *
 * <p>Thread-safe.
 */
public final class OutputPublisher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutputPublisher.class);
  private final LogLimiter logLimit = LogLimiter.perDefaultInterval();

  private final Producer<byte[], byte[]> replies;
  private final Producer<byte[], byte[]> records;
  private final Topics topics;
  private final AvroSerdes serdes;
  private final ReplyTopics replyTopics;
  private final Backoff backoff;
  private final int maxAttempts;
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
   * @param maxAttempts how many times an output is tried before its request goes to the DLQ
   */
  public OutputPublisher(Producer<byte[], byte[]> replies, Producer<byte[], byte[]> records, Topics topics,
      AvroSerdes serdes, ReplyTopics replyTopics, Backoff backoff, int maxAttempts, WorkerMetrics metrics) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
    }
    this.replies = replies;
    this.records = records;
    this.topics = topics;
    this.serdes = serdes;
    this.replyTopics = replyTopics;
    this.backoff = backoff;
    this.maxAttempts = maxAttempts;
    this.metrics = metrics;
    sender.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /**
   * Publishes the outputs of the request read as {@code original}: the response to the reply
   * topic of {@code replyTo} (none when empty), the usage event when present, and the audit
   * record, each keyed by the request id. Completes once each was acknowledged or dead-lettered
   * as the class comment says; completes exceptionally only when a needed dead letter failed.
   * {@code usageSent} is told where the usage event was written, before this completes, once it was.
   */
  public CompletableFuture<Void> publishOutputs(ConsumerRecord<byte[], byte[]> original, Optional<String> replyTo,
      LlmResponse response, Optional<UsageEvent> usage, AuditRecord audit, Consumer<RecordMetadata> usageSent) {
    String id = response.getRequestId();
    List<CompletableFuture<Optional<Failure>>> outputs = new ArrayList<>(3);
    replyTo.ifPresent(service -> outputs.add(reply(topics.responses(service), id, response)));
    usage.ifPresent(event -> outputs.add(output(records, topics.usage(), id, event, Optional.empty(), usageSent)));
    outputs.add(output(records, topics.audit(), id, audit, Optional.of(error -> Trimmed.audit(audit)), sent -> { }));
    return CompletableFuture.allOf(outputs.toArray(CompletableFuture[]::new)).thenCompose(all -> {
      List<Failure> failures = outputs.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList();
      return failures.isEmpty() ? CompletableFuture.completedFuture(null) : deadLetter(original, failures);
    });
  }

  /**
   * Finds or creates the reply topic of {@code service}, once, without retries: completes with
   * true when this call created it, exceptionally with a {@link ReplyTopics.ReplyTopicException}
   * (a {@link ReplyTopics.ReplyTopicLimitException} when it may not be created).
   */
  public CompletableFuture<Boolean> replyTopic(String service) {
    return replyTopics.ensure(topics.responses(service));
  }

  /** True when the last count of reply topics reached the limit (see {@link ReplyTopics#full()}). */
  public boolean replyTopicsFull() {
    return replyTopics.full();
  }

  /** Sends the original key, value and headers of an undecodable record to the DLQ, adding where from and why. */
  public CompletableFuture<Void> deadLetter(ConsumerRecord<byte[], byte[]> original, Throwable error) {
    return sendDeadLetter(original, DeadLetters.headers(original, error));
  }

  private CompletableFuture<Void> deadLetter(ConsumerRecord<byte[], byte[]> original, List<Failure> failures) {
    Failure first = failures.get(0);
    List<String> failedTopics = failures.stream().map(Failure::topic).toList();
    log.warn("event=output_dead_letter topic={} partition={} offset={} failed_outputs={} error={} message=\"{}\"",
        original.topic(), original.partition(), original.offset(), failedTopics,
        first.error().getClass().getSimpleName(), first.error().getMessage());
    return sendDeadLetter(original, DeadLetters.headers(original, first.error(), failedTopics));
  }

  private CompletableFuture<Void> sendDeadLetter(ConsumerRecord<byte[], byte[]> original, Headers headers) {
    metrics.deadLettered();
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topics.dlq().name(), null, original.key(), original.value(), headers);
    // The DLQ is the last resort: a retriable failure there means Kafka is unavailable, not that
    // the record is bad, so it is tried for as long as the worker runs.
    return retrying(() -> send(records, record), Integer.MAX_VALUE).thenAccept(sent -> { });
  }

  private CompletableFuture<Optional<Failure>> reply(Topic<LlmResponse> topic, String key, LlmResponse response) {
    CompletableFuture<Boolean> ready = retrying(() -> replyTopics.ensure(topic), maxAttempts);
    return ready.handle((ok, error) -> error).thenCompose(error -> {
      if (error instanceof ReplyTopics.ReplyTopicLimitException) {
        // Nowhere to answer, by the operator's choice: the audit record holds the outcome, as for a refused reply_to.
        logLimit.log(log, Level.WARN, "reply_topic_limit", "event=reply_topic_limit request_id={} message=\"{}\"", key,
            error.getMessage());
        return CompletableFuture.completedFuture(Optional.<Failure>empty());
      }
      return error != null
          ? failed(topic, error)
          : output(replies, topic, key, response, Optional.of(sendError -> Trimmed.reply(response, sendError)),
              sent -> { });
    });
  }

  /**
   * Sends {@code value}; when that fails for good, sends the stand-in (if any) once through the
   * same bounded retries, and reports the original failure either way. {@code sent} is told where
   * {@code value} was written, when it was.
   */
  private <T extends SpecificRecord> CompletableFuture<Optional<Failure>> output(Producer<byte[], byte[]> producer,
      Topic<T> topic, String key, T value, Optional<Function<Throwable, T>> standIn, Consumer<RecordMetadata> sent) {
    return encodeAndSend(producer, topic, key, value).handle((metadata, error) -> {
      if (error == null) {
        sent.accept(metadata);
      }
      return unwrap(error);
    }).thenCompose(error -> {
      if (error == null) {
        return CompletableFuture.completedFuture(Optional.<Failure>empty());
      }
      if (standIn.isEmpty()) {
        return failed(topic, error);
      }
      return encodeAndSend(producer, topic, key, standIn.get().apply(error))
          .handle((ok, standInError) -> {
            if (standInError != null) {
              log.error("event=output_stand_in_failed topic={} request_id={} error={}", topic.name(), key,
                  unwrap(standInError).toString());
            }
            return null;
          })
          .thenCompose(done -> failed(topic, error));
    });
  }

  private CompletableFuture<Optional<Failure>> failed(Topic<?> topic, Throwable error) {
    log.error("event=output_failed topic={} error={} message=\"{}\"", topic.name(), error.getClass().getSimpleName(),
        error.getMessage());
    return CompletableFuture.completedFuture(Optional.of(new Failure(topic.name(), error)));
  }

  private <T extends SpecificRecord> CompletableFuture<RecordMetadata> encodeAndSend(Producer<byte[], byte[]> producer,
      Topic<T> topic, String key, T value) {
    byte[] bytes;
    try {
      bytes = serdes.serde(topic.valueType()).serializer().serialize(topic.name(), value);
    } catch (RuntimeException e) {
      metrics.publishFailed();
      return CompletableFuture.failedFuture(e);
    }
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8), bytes);
    return retrying(() -> send(producer, record), maxAttempts);
  }

  /** One send on the sender thread; the future completes with the broker's acknowledgement. */
  private CompletableFuture<RecordMetadata> send(Producer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
    CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
    try {
      sender.execute(() -> {
        try {
          producer.send(record, (metadata, error) -> {
            if (error == null) {
              acked.complete(metadata);
            } else {
              acked.completeExceptionally(error);
            }
          });
        } catch (RuntimeException e) {
          acked.completeExceptionally(e);
        }
      });
    } catch (RuntimeException rejected) {
      acked.completeExceptionally(rejected);
    }
    return acked;
  }

  /**
   * Runs {@code action} until it succeeds, fails with a non-retriable error, has failed
   * {@code attempts} times, or the publisher closes; waits between tries follow the backoff.
   */
  private <T> CompletableFuture<T> retrying(Supplier<CompletableFuture<T>> action, int attempts) {
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(action, attempts, 1, result);
    return result;
  }

  private <T> void attempt(Supplier<CompletableFuture<T>> action, int attempts, int attempt,
      CompletableFuture<T> result) {
    action.get().whenComplete((value, failure) -> {
      if (failure == null) {
        result.complete(value);
        return;
      }
      Throwable error = unwrap(failure);
      metrics.publishFailed();
      if (!retriable(error) || attempt >= attempts || closed) {
        result.completeExceptionally(error);
        return;
      }
      Duration delay = backoff.delay(attempt);
      log.warn("event=publish_retry attempt={} backoff_ms={} error={} message=\"{}\"", attempt, delay.toMillis(),
          error.getClass().getSimpleName(), error.getMessage());
      try {
        sender.schedule(() -> attempt(action, attempts, attempt + 1, result), delay.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RuntimeException rejected) {
        result.completeExceptionally(error);
      }
    });
  }

  private static boolean retriable(Throwable error) {
    return error instanceof RetriableException
        || error instanceof ReplyTopics.ReplyTopicException && error.getCause() instanceof RetriableException;
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
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

  /** An output that could not be published, and why. */
  private record Failure(String topic, Throwable error) {}
}
