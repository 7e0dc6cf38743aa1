package io.llmbroker.worker.pipeline;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.intake.RecordHandler;
import io.llmbroker.worker.ops.WorkerMetrics;
import io.llmbroker.worker.policy.RequestPolicy;
import io.llmbroker.worker.publishing.OutputPublisher;
import io.llmbroker.worker.routing.CallOutcome;
import io.llmbroker.worker.routing.CallRouter;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request record from poll to published outputs, stages in this order:
 * <ol>
 *   <li>decode: undecodable bytes go to the DLQ as they are (a schema registry that cannot be
 *       reached is retried with backoff instead: the bytes may be fine);
 *   <li>validate: a refused request is answered INVALID (CALLER_FAULT), no provider call;
 *   <li>policy: the app's identity and policy; a refused request is answered REJECTED, no provider call.
 *       A signature is verified on the {@code verifiers} executor: an Ed25519 verification takes the
 *       JDK about a millisecond, too long for the intake thread;
 *   <li>deadline at intake, then again just before dispatch: EXPIRED, no provider call;
 *   <li>route: the router queues the call by priority and runs it to its outcome;
 *   <li>publish the response, the usage event (when a provider was called) and the audit record.
 * </ol>
 * A request whose reply_to is not allowed has nowhere to be answered: only its audit record is
 * written. A record that breaks the pipeline itself goes to the DLQ, so no input stops the worker.
 *
 * <p>Thread-safe; {@link #handle} only starts the work.
 */
public final class RequestPipeline implements RecordHandler {

  private static final Logger log = LoggerFactory.getLogger(RequestPipeline.class);
  private static final long MAX_DECODE_BACKOFF_MS = 30_000;

  private final Topics topics;
  private final Deserializer<LlmRequest> decoder;
  private final RequestValidator validator;
  private final RequestPolicy policy;
  private final Executor verifiers;
  private final CallRouter router;
  private final OutputPublisher publisher;
  private final WorkerMetrics metrics;
  private final Clock clock;
  private final String workerId;

  public RequestPipeline(Topics topics, Deserializer<LlmRequest> decoder, RequestValidator validator, RequestPolicy policy,
      Executor verifiers, CallRouter router, OutputPublisher publisher, WorkerMetrics metrics, Clock clock, String workerId) {
    this.topics = topics;
    this.decoder = decoder;
    this.validator = validator;
    this.policy = policy;
    this.verifiers = verifiers;
    this.router = router;
    this.publisher = publisher;
    this.metrics = metrics;
    this.clock = clock;
    this.workerId = workerId;
  }

  @Override
  public CompletableFuture<Void> handle(ConsumerRecord<byte[], byte[]> record, Priority priority, long receivedAt) {
    return handle(record, priority, receivedAt, 1);
  }

  private CompletableFuture<Void> handle(ConsumerRecord<byte[], byte[]> record, Priority priority, long receivedAt,
      int attempt) {
    LlmRequest request;
    try {
      request = decode(record);
    } catch (RuntimeException e) {
      if (unreachable(e)) {
        // A schema registry outage says nothing about the record: read it again later, keep it out of the DLQ.
        long backoff = Math.min(MAX_DECODE_BACKOFF_MS, 500L << Math.min(attempt - 1, 10));
        metrics.decodeRetried();
        log.warn("event=decode_retry topic={} partition={} offset={} attempt={} backoff_ms={} message=\"{}\"",
            record.topic(), record.partition(), record.offset(), attempt, backoff, e.getMessage());
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(backoff, TimeUnit.MILLISECONDS))
            .thenCompose(retry -> handle(record, priority, receivedAt, attempt + 1));
      }
      return deadLetter(record, e);
    }
    try {
      return serve(record, new Outputs.Context(request, priority, receivedAt, workerId));
    } catch (RuntimeException e) {
      log.error("event=pipeline_failed topic={} partition={} offset={} error={}",
          record.topic(), record.partition(), record.offset(), e.toString(), e);
      return deadLetter(record, e);
    }
  }

  /** True for network failures only: Avro reports corrupt bytes as IOExceptions too (EOF, bad varint). */
  private static boolean unreachable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SocketException || t instanceof HttpTimeoutException || t instanceof UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  private LlmRequest decode(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null) {
      throw new SerializationException("record has no value");
    }
    return decoder.deserialize(record.topic(), record.value());
  }

  private CompletableFuture<Void> serve(ConsumerRecord<byte[], byte[]> record, Outputs.Context received) {
    Optional<String> problem = validator.problem(received.request(), record.value().length);
    if (problem.isPresent()) {
      return finish(received, Outputs.refused(received, ResponseStatus.INVALID, ErrorClass.CALLER_FAULT, problem.get(),
          clock.millis()));
    }
    if (received.request().getSignature() == null) {
      return decided(received, policy.check(received.request(), record.topic(), received.priority()));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>();
    CompletableFuture.supplyAsync(() -> policy.check(received.request(), record.topic(), received.priority()), verifiers)
        .whenComplete((verdict, error) -> {
          if (done.isCancelled()) {
            return;
          }
          CompletableFuture<Void> rest;
          try {
            rest = error == null ? decided(received, verdict) : deadLetter(record, error);
          } catch (RuntimeException e) {
            rest = deadLetter(record, e);
          }
          next.set(rest);
          rest.whenComplete((ok, failure) -> {
            if (failure == null) {
              done.complete(null);
            } else {
              done.completeExceptionally(failure);
            }
          });
          if (done.isCancelled()) {
            rest.cancel(false);
          }
        });
    // Cancelling the record's work before or after the verification hands the request back, as below.
    done.whenComplete((ok, error) -> {
      CompletableFuture<Void> rest = next.get();
      if (done.isCancelled() && rest != null) {
        rest.cancel(false);
      }
    });
    return done;
  }

  private CompletableFuture<Void> decided(Outputs.Context received, RequestPolicy.Verdict verdict) {
    if (verdict instanceof RequestPolicy.Refuse refuse) {
      return finish(received, Outputs.refused(received, ResponseStatus.REJECTED, refuse.errorClass(), refuse.reason(),
          clock.millis()));
    }
    LlmRequest request = ((RequestPolicy.Admit) verdict).request();
    Outputs.Context context = new Outputs.Context(request, received.priority(), received.receivedAt(), received.worker());
    long deadline = request.getDeadline() == null ? Long.MAX_VALUE : request.getDeadline();
    if (context.receivedAt() >= deadline) {
      return finish(context, expired(context, "deadline passed before the worker read the request"));
    }
    if (clock.millis() >= deadline) {
      return finish(context, expired(context, "deadline passed before dispatch"));
    }
    metrics.inFlight().incrementAndGet();
    CompletableFuture<CallOutcome> call;
    try {
      call = router.call(request, context.priority(), deadline);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<CallOutcome> routed = call;
    CompletableFuture<Void> done = new CompletableFuture<>();
    routed
        .handle((outcome, error) -> {
          metrics.inFlight().decrementAndGet();
          return routed.isCancelled() ? null : outputsOf(context, outcome, error, deadline);
        })
        .thenCompose(outputs -> outputs == null ? CompletableFuture.<Void>completedFuture(null) : finish(context, outputs))
        .whenComplete((ok, error) -> {
          if (error == null) {
            done.complete(null);
          } else {
            done.completeExceptionally(error);
          }
        });
    // Cancelling the record's work hands the request back to the router: no further provider call, no outputs.
    done.whenComplete((ok, error) -> {
      if (done.isCancelled()) {
        routed.cancel(false);
      }
    });
    return done;
  }

  private Outputs outputsOf(Outputs.Context context, CallOutcome outcome, Throwable error, long deadline) {
    long now = clock.millis();
    if (error != null) {
      log.error("event=router_failed request_id={} error={}", context.request().getId(), error.getClass().getName());
      return Outputs.refused(context, ResponseStatus.ERROR, ErrorClass.INTERNAL,
          "the worker failed to route the request: " + error.getClass().getSimpleName(), now);
    }
    ResponseStatus status;
    if (outcome.completion().isPresent()) {
      status = ResponseStatus.OK;
    } else {
      status = now >= deadline ? ResponseStatus.EXPIRED : ResponseStatus.ERROR;
    }
    try {
      return Outputs.routed(context, outcome, status, now);
    } catch (RuntimeException e) {
      // An outcome that cannot be put on the wire must still answer the caller.
      log.error("event=outcome_unpublishable request_id={} error={}", context.request().getId(), e.toString(), e);
      return Outputs.refused(context, ResponseStatus.ERROR, ErrorClass.INTERNAL,
          "the worker could not encode the provider's answer: " + e.getClass().getSimpleName(), now);
    }
  }

  private Outputs expired(Outputs.Context context, String why) {
    return Outputs.refused(context, ResponseStatus.EXPIRED, ErrorClass.TIMEOUT, why, clock.millis());
  }

  private CompletableFuture<Void> finish(Outputs.Context context, Outputs outputs) {
    LlmResponse response = outputs.response();
    String id = response.getRequestId();
    metrics.answered(context.priority(), response.getStatus(), response.getTimings().getQueuedMs(),
        response.getTimings().getTotalMs());
    if (response.getStatus() != ResponseStatus.OK) {
      ErrorInfo error = response.getError();
      log.info("event=request_answered request_id={} class={} status={} error_class={} message=\"{}\" attempts={}",
          id, context.priority(), response.getStatus(), error == null ? null : error.getErrorClass(),
          error == null ? null : error.getMessage(), response.getAttempts());
    } else if (log.isDebugEnabled()) {
      log.debug("event=request_answered request_id={} class={} status=OK deployment={} total_ms={} cost_micros={}",
          id, context.priority(), response.getDeployment(), response.getTimings().getTotalMs(), response.getCostMicros());
    }
    List<CompletableFuture<Void>> sends = new ArrayList<>(3);
    String replyTo = context.request().getReplyTo();
    if (validator.replyToAllowed(replyTo)) {
      sends.add(publisher.publishReply(topics.responses(replyTo), id, response));
    }
    outputs.usage().ifPresent(usage -> sends.add(publisher.publish(topics.usage(), id, usage)));
    sends.add(publisher.publish(topics.audit(), id, outputs.audit()));
    return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> deadLetter(ConsumerRecord<byte[], byte[]> record, Throwable error) {
    metrics.deadLettered();
    log.warn("event=dead_letter topic={} partition={} offset={} error={} message=\"{}\"",
        record.topic(), record.partition(), record.offset(), error.getClass().getSimpleName(), error.getMessage());
    return publisher.deadLetter(topics.dlq(), record, error);
  }
}
