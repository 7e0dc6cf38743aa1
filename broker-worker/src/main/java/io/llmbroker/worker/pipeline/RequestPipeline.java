package io.llmbroker.worker.pipeline;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.runtime.logging.LogLimiter;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.runtime.topics.ReplyTopics;
import io.llmbroker.worker.budgets.BudgetGuard;
import io.llmbroker.worker.intake.RecordHandler;
import io.llmbroker.worker.intake.RecordWork;
import io.llmbroker.worker.ops.WorkerMetrics;
import io.llmbroker.worker.policy.RequestPolicy;
import io.llmbroker.worker.publishing.OutputPublisher;
import io.llmbroker.worker.routing.CallOutcome;
import io.llmbroker.worker.routing.CallRouter;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One request record from poll to published outputs, stages in this order:
 * <ol>
 *   <li>decode: undecodable bytes go to the DLQ as they are (a schema registry that cannot be
 *       reached is retried with backoff instead: the bytes may be fine);
 *   <li>validate: a refused request is answered INVALID (CALLER_FAULT), no provider call;
 *   <li>policy: the app's identity and policy; a refused request is answered REJECTED, no provider call.
 *       A signature is verified on the {@code verifiers} executor: an Ed25519 verification takes the
 *       JDK about a millisecond, too long for the intake thread;
 *   <li>reply topic: found, or created while fewer than {@code intake.max-reply-topics} exist;
 *       past that the request is REJECTED (QUOTA), no provider call, and only audited;
 *   <li>deadline at intake, then again just before dispatch: EXPIRED, no provider call;
 *   <li>budgets: a request under an exhausted hard budget is answered REJECTED (QUOTA), no provider
 *       call; an admitted one holds a reservation of its maximum cost until it is answered;
 *   <li>route: the router queues the call by priority and runs it to its outcome;
 *   <li>publish the response, the usage event (when a provider was called) and the audit record.
 * </ol>
 * A request whose reply_to is not allowed has nowhere to be answered: only its audit record is
 * written. A record that breaks the pipeline itself goes to the DLQ, so no input stops the worker.
 *
 * <p>Thread-safe; {@link #handle} only starts the work, which the intake may withdraw while no
 * provider call of it is in progress and none of its outputs is on its way. A withdrawn record
 * makes no router call and publishes nothing, whichever thread its next step runs on.
 */
public final class RequestPipeline implements RecordHandler {

  private static final Logger log = LoggerFactory.getLogger(RequestPipeline.class);
  private static final Backoff DECODE_BACKOFF = Backoff.exponential(Duration.ofMillis(500), Duration.ofSeconds(30));

  private final Deserializer<LlmRequest> decoder;
  private final RequestValidator validator;
  private final RequestPolicy policy;
  private final BudgetGuard budgets;
  private final Executor verifiers;
  private final CallRouter router;
  private final OutputPublisher publisher;
  private final WorkerMetrics metrics;
  private final Clock clock;
  private final String workerId;
  private final Function<Duration, Executor> later;
  // One line per bad-record kind per interval: a flood of bad input is counted by the metrics, not logged line by line.
  private final LogLimiter logLimit = LogLimiter.perDefaultInterval();

  public RequestPipeline(Deserializer<LlmRequest> decoder, RequestValidator validator, RequestPolicy policy,
      BudgetGuard budgets, Executor verifiers, CallRouter router, OutputPublisher publisher, WorkerMetrics metrics,
      Clock clock, String workerId) {
    this(decoder, validator, policy, budgets, verifiers, router, publisher, metrics, clock, workerId,
        delay -> CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS));
  }

  /** As above; {@code later} gives the executor that runs a decode retry after the given backoff. */
  RequestPipeline(Deserializer<LlmRequest> decoder, RequestValidator validator, RequestPolicy policy,
      BudgetGuard budgets, Executor verifiers, CallRouter router, OutputPublisher publisher, WorkerMetrics metrics,
      Clock clock, String workerId, Function<Duration, Executor> later) {
    this.later = later;
    this.decoder = decoder;
    this.validator = validator;
    this.policy = policy;
    this.budgets = budgets;
    this.verifiers = verifiers;
    this.router = router;
    this.publisher = publisher;
    this.metrics = metrics;
    this.clock = clock;
    this.workerId = workerId;
  }

  @Override
  public RecordWork handle(ConsumerRecord<byte[], byte[]> record, Priority priority, long receivedAt) {
    Handling work = new Handling(record);
    start(work, record, priority, receivedAt, 1);
    return work;
  }

  private void start(Handling work, ConsumerRecord<byte[], byte[]> record, Priority priority, long receivedAt,
      int attempt) {
    if (work.withdrawn()) {
      return;
    }
    LlmRequest request;
    try {
      request = decode(record);
    } catch (RuntimeException e) {
      if (unreachable(e)) {
        // A schema registry outage says nothing about the record: read it again later, keep it out of the DLQ.
        Duration backoff = DECODE_BACKOFF.delay(attempt);
        metrics.decodeRetried();
        logLimit.log(log, Level.WARN, "decode_retry",
            "event=decode_retry topic={} partition={} offset={} attempt={} backoff_ms={} message=\"{}\"",
            record.topic(), record.partition(), record.offset(), attempt, backoff.toMillis(), e.getMessage());
        later.apply(backoff).execute(() -> start(work, record, priority, receivedAt, attempt + 1));
        return;
      }
      work.publish(() -> deadLetter(record, e));
      return;
    }
    try {
      serve(work, record, new Outputs.Context(request, priority, receivedAt, workerId));
    } catch (RuntimeException e) {
      work.failed(e);
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

  private void serve(Handling work, ConsumerRecord<byte[], byte[]> record, Outputs.Context received) {
    Optional<String> problem = validator.problem(received.request(), record.value().length);
    if (problem.isPresent()) {
      work.publish(() -> finish(record, received, Outputs.refused(received, ResponseStatus.INVALID,
          ErrorClass.CALLER_FAULT, problem.get(), clock.millis())));
      return;
    }
    if (received.request().getSignature() == null) {
      decided(work, record, received, policy.check(received.request(), record.topic(), received.priority()));
      return;
    }
    // A signature costs CPU to verify: on the verifiers, off the poll thread. A withdraw meanwhile wins.
    CompletableFuture.supplyAsync(() -> policy.check(received.request(), record.topic(), received.priority()), verifiers)
        .whenComplete((verdict, error) -> {
          if (error != null) {
            work.publish(() -> deadLetter(record, error));
            return;
          }
          try {
            decided(work, record, received, verdict);
          } catch (RuntimeException e) {
            work.failed(e);
          }
        });
  }

  private void decided(Handling work, ConsumerRecord<byte[], byte[]> record, Outputs.Context received,
      RequestPolicy.Verdict verdict) {
    if (verdict instanceof RequestPolicy.Refuse refuse) {
      work.publish(() -> finish(record, received, Outputs.refused(received, ResponseStatus.REJECTED,
          refuse.errorClass(), refuse.reason(), clock.millis())));
      return;
    }
    LlmRequest request = ((RequestPolicy.Admit) verdict).request();
    Outputs.Context context = new Outputs.Context(request, received.priority(), received.receivedAt(), received.worker());
    // The reply topic is found or made while the request goes on, so that the publisher need not
    // wait for it later. Only at the limit of reply topics does a topic not known yet hold the
    // request back until Kafka answers: refused, it costs nothing. Everything else goes on at
    // once, so that requests reach the router in the order they were read.
    CompletableFuture<Boolean> replyTopic = publisher.replyTopic(request.getReplyTo());
    if (!replyTopic.isDone() && publisher.replyTopicsFull()) {
      replyTopic.whenCompleteAsync((created, error) -> afterReplyTopic(work, record, context, replyTopic), verifiers);
    } else {
      afterReplyTopic(work, record, context, replyTopic);
    }
  }

  private void afterReplyTopic(Handling work, ConsumerRecord<byte[], byte[]> record, Outputs.Context context,
      CompletableFuture<Boolean> replyTopic) {
    try {
      Throwable error = replyTopic.isDone() ? replyTopic.handle((created, e) -> e).join() : null;
      if ((error instanceof CompletionException ? error.getCause() : error)
          instanceof ReplyTopics.ReplyTopicLimitException limit) {
        work.publish(() -> finish(record, context, Outputs.refused(context, ResponseStatus.REJECTED, ErrorClass.QUOTA,
            limit.getMessage() + " (intake.max-reply-topics): create it first, or reply to an existing one",
            clock.millis())));
        return;
      }
      // Any other failure is the publisher's to retry and, failing that, to dead-letter.
      dispatch(work, record, context);
    } catch (RuntimeException e) {
      work.failed(e);
    }
  }

  private void dispatch(Handling work, ConsumerRecord<byte[], byte[]> record, Outputs.Context context) {
    LlmRequest request = context.request();
    long deadline = request.getDeadline() == null ? Long.MAX_VALUE : request.getDeadline();
    if (context.receivedAt() >= deadline) {
      work.publish(() -> finish(record, context, expired(context, "deadline passed before the worker read the request")));
      return;
    }
    if (clock.millis() >= deadline) {
      work.publish(() -> finish(record, context, expired(context, "deadline passed before dispatch")));
      return;
    }
    BudgetGuard.Verdict budget = budgets.check(request);
    if (budget instanceof BudgetGuard.Refuse refuse) {
      work.publish(() -> finish(record, context, Outputs.refused(context, ResponseStatus.REJECTED, ErrorClass.QUOTA,
          refuse.reason(), clock.millis())));
      return;
    }
    BudgetGuard.Reservation reservation = ((BudgetGuard.Admit) budget).reservation();
    Optional<CompletableFuture<CallOutcome>> call = work.route(() -> {
      metrics.inFlight().incrementAndGet();
      return router.call(request, context.priority(), deadline);
    });
    if (call.isEmpty()) {
      reservation.release();
    }
    call.ifPresent(routed -> routed.whenComplete((outcome, error) -> {
      metrics.inFlight().decrementAndGet();
      if (routed.isCancelled()) {
        reservation.release();
        // Withdrawn: no outputs; the partition's next owner serves the request.
        work.handedBack();
      } else {
        // The reservation holds until the usage is written (then its cost is held until the state
        // counts it), so the spend is never invisible to this worker; released if none was written.
        work.publish(() -> finish(record, context, outputsOf(context, outcome, error, deadline), reservation))
            .whenComplete((ok, failed) -> reservation.release());
      }
    }));
  }

  /**
   * One record's work: a small state machine in which exactly one of withdraw, route and publish
   * wins each step, by compare-and-set. WAITING (decode retry, verification) goes to ROUTING
   * while the request is handed to the router, then ROUTED while the router holds it, and ends
   * PUBLISHING or WITHDRAWN. Withdrawable while WAITING, and while ROUTED when the router can
   * withdraw the call; the hand-over to the router (it does not wait) and publishing are left to finish.
   */
  private final class Handling implements RecordWork {
    private enum Step { WAITING, ROUTING, ROUTED, PUBLISHING, WITHDRAWN }

    private final ConsumerRecord<byte[], byte[]> record;
    private final AtomicReference<Step> step = new AtomicReference<>(Step.WAITING);
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    // Written before the step turns ROUTED, read only once it is.
    private volatile CompletableFuture<CallOutcome> call;

    Handling(ConsumerRecord<byte[], byte[]> record) {
      this.record = record;
      // Work abandoned by the intake (done cancelled) goes no further and cancels its call: no further provider call.
      done.whenComplete((ok, error) -> {
        if (done.isCancelled() && step.getAndSet(Step.WITHDRAWN) == Step.ROUTED) {
          call.cancel(false);
        }
      });
    }

    boolean withdrawn() {
      return step.get() == Step.WITHDRAWN;
    }

    /** Makes the router call unless the work was withdrawn first; the call, or empty when withdrawn. */
    Optional<CompletableFuture<CallOutcome>> route(Supplier<CompletableFuture<CallOutcome>> routerCall) {
      if (!step.compareAndSet(Step.WAITING, Step.ROUTING)) {
        return Optional.empty();
      }
      CompletableFuture<CallOutcome> routed;
      try {
        routed = routerCall.get();
      } catch (RuntimeException e) {
        routed = CompletableFuture.failedFuture(e);
      }
      call = routed;
      if (!step.compareAndSet(Step.ROUTING, Step.ROUTED)) {
        // Abandoned while being handed over.
        routed.cancel(false);
      }
      return Optional.of(routed);
    }

    /**
     * Publishes what {@code outputs} sends unless the work was withdrawn first; a failure to start
     * goes to the DLQ. Completes when the outputs did, at once when withdrawn.
     */
    CompletableFuture<Void> publish(Supplier<CompletableFuture<Void>> outputs) {
      Step from = step.get();
      if ((from != Step.WAITING && from != Step.ROUTED) || !step.compareAndSet(from, Step.PUBLISHING)) {
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> sent;
      try {
        sent = outputs.get();
      } catch (RuntimeException e) {
        pipelineFailed(e);
        sent = deadLetter(record, e);
      }
      return sent.whenComplete((ok, error) -> {
        if (error == null) {
          done.complete(null);
        } else {
          done.completeExceptionally(error);
        }
      });
    }

    /** The pipeline broke before any output: the record goes to the DLQ, so no input stops the worker. */
    void failed(RuntimeException e) {
      pipelineFailed(e);
      publish(() -> deadLetter(record, e));
    }

    /** The router handed the request back (its call was cancelled). */
    void handedBack() {
      done.cancel(false);
    }

    @Override
    public CompletableFuture<Void> done() {
      return done;
    }

    @Override
    public boolean withdraw() {
      if (step.compareAndSet(Step.WAITING, Step.WITHDRAWN)) {
        return done.cancel(false);
      }
      Step now = step.get();
      if (now == Step.ROUTED && router.withdraw(call)) {
        return done.cancel(false);
      }
      return now == Step.WITHDRAWN && done.isCancelled();
    }

    private void pipelineFailed(RuntimeException e) {
      log.error("event=pipeline_failed topic={} partition={} offset={} error={}",
          record.topic(), record.partition(), record.offset(), e.toString(), e);
    }
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

  private CompletableFuture<Void> finish(ConsumerRecord<byte[], byte[]> record, Outputs.Context context,
      Outputs outputs) {
    return finish(record, context, outputs, BudgetGuard.Reservation.NONE);
  }

  /** Publishes {@code outputs}; {@code reservation} is settled once their usage is written. */
  private CompletableFuture<Void> finish(ConsumerRecord<byte[], byte[]> record, Outputs.Context context,
      Outputs outputs, BudgetGuard.Reservation reservation) {
    LlmResponse response = outputs.response();
    String id = response.getRequestId();
    metrics.answered(context.priority(), response.getStatus(), response.getTimings().getQueuedMs(),
        response.getTimings().getTotalMs());
    if (response.getStatus() != ResponseStatus.OK) {
      ErrorInfo error = response.getError();
      logLimit.log(log, Level.INFO, "request_answered_" + response.getStatus(),
          "event=request_answered request_id={} class={} status={} error_class={} message=\"{}\" attempts={}",
          id, context.priority(), response.getStatus(), error == null ? null : error.getErrorClass(),
          error == null ? null : error.getMessage(), response.getAttempts());
    } else if (log.isDebugEnabled()) {
      log.debug("event=request_answered request_id={} class={} status=OK deployment={} total_ms={} cost_micros={}",
          id, context.priority(), response.getDeployment(), response.getTimings().getTotalMs(), response.getCostMicros());
    }
    Optional<String> replyTo = validator.replyToAllowed(context.request())
        ? Optional.of(context.request().getReplyTo()) : Optional.empty();
    return publisher.publishOutputs(record, replyTo, response, outputs.usage(), outputs.audit(),
        sent -> outputs.usage().ifPresent(usage -> reservation.settle(usage, sent.partition(), sent.offset())));
  }

  private CompletableFuture<Void> deadLetter(ConsumerRecord<byte[], byte[]> record, Throwable error) {
    metrics.deadLettered();
    logLimit.log(log, Level.WARN, "dead_letter", "event=dead_letter topic={} partition={} offset={} error={} message=\"{}\"",
        record.topic(), record.partition(), record.offset(), error.getClass().getSimpleName(), error.getMessage());
    return publisher.deadLetter(record, error);
  }
}
