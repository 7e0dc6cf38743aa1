package io.llmbroker.worker.routing;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.worker.limits.Lane;
import io.llmbroker.worker.providers.ProviderCall;
import io.llmbroker.worker.providers.ProviderException;
import io.llmbroker.worker.providers.ProviderReply;
import io.llmbroker.worker.providers.Prompts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One request on its way through its routes. The pipeline, in order: skip a cooling
 * deployment, or one this worker owns no share of; decide about a deployment held by a
 * provider's {@code Retry-After}; queue in its lane by priority; call with the attempt timeout
 * (bounded by the deadline); on success price and finish; on failure switch on the class: caller
 * faults finish, credential and quota failures fall back at once, retryable ones wait out a
 * backoff without a slot and queue again, then fall back. The deadline stops everything.
 *
 * <p><b>Retry-After.</b> A provider's {@code Retry-After} holds the deployment's lane for every
 * request of this worker, not only the one that saw it. A hold no longer than {@code max-backoff}
 * is waited out in the lane queue. A longer one is honoured up to the deadline: a batch request
 * waits while the hold ends before its deadline (and falls back otherwise); a standard one falls
 * back when a later deployment remains and waits otherwise; an interactive one falls back, or
 * fails {@code RATE_LIMITED} naming the wait.
 *
 * <p>The delay between attempts comes from the shared {@link Backoff} (a Resilience4j interval
 * function). Resilience4j's {@code Retry} is not used for the loop itself: it drives one call,
 * while here every attempt gives its lane slot back, queues again by priority, and interleaves
 * with fallbacks, deadlines and deployment-wide holds.
 *
 * <p>Steps run on whichever thread completed the previous one; each step touches the state
 * only after the previous step is done, so no two threads use it at once. Cancelling the
 * outcome withdraws the request: it leaves its lane queue or backoff and makes no further
 * call; a call already in progress runs out, its answer unused. {@link Outcome#withdraw} is the
 * gentler hand-back: it refuses while a call is in progress and lets that call's answer count.
 */
final class Execution {

  private final RouterContext ctx;
  private final LlmRequest request;
  private final Priority priority;
  private final long deadline;
  private final List<Route> routes;
  private final int estimatedTokens;
  private final List<Attempt> attempts = new ArrayList<>();
  private final Outcome outcome = new Outcome();
  /** Set on {@link Outcome#withdraw}; read with {@link #calling} as a pair, each written before the other is read. */
  private volatile boolean withdrawn;
  /**
   * True from admission until the execution waits again (a backoff, the next queue): an answer
   * settling must not be withdrawn before it completes the outcome, or the call is paid and lost.
   */
  private volatile boolean calling;
  private int routeIndex;
  private int triesOnRoute;
  private ProviderException lastError;
  private Long firstCallAt;
  private long providerMillis;

  Execution(RouterContext ctx, LlmRequest request, Priority priority, long deadline, List<Route> routes) {
    this.ctx = ctx;
    this.request = request;
    this.priority = priority;
    this.deadline = deadline;
    this.routes = routes;
    this.estimatedTokens = Prompts.estimateTotalTokens(request);
  }

  CompletableFuture<CallOutcome> start() {
    step();
    return outcome;
  }

  /** Tries the current route, or the next one that can take the request. */
  private void step() {
    calling = false;
    if (withdrawn) {
      outcome.cancel(false);
    }
    if (outcome.isDone()) {
      return;
    }
    try {
      if (!selectRoute()) {
        return;
      }
      Route route = routes.get(routeIndex);
      if (ctx.clock.millis() >= deadline) {
        route.health.abandoned();
        finishDeadline();
        return;
      }
      Lane.Ticket ticket = route.lane.acquire(priority, estimatedTokens);
      outcome.whenComplete((done, error) -> {
        if (outcome.isCancelled() && ticket.cancel()) {
          route.health.abandoned();
        }
      });
      Future<?> expiry = deadline == Long.MAX_VALUE ? null
          : ctx.scheduler.schedule(() -> {
            if (ticket.cancel()) {
              route.health.abandoned();
              finishDeadline();
            }
          }, Math.max(0, deadline - ctx.clock.millis()), TimeUnit.MILLISECONDS);
      ticket.admitted().thenRun(() -> {
        if (expiry != null) {
          expiry.cancel(false);
        }
        calling = true;
        if (withdrawn) {
          outcome.cancel(false);
        }
        if (outcome.isDone()) {
          calling = false;
          ticket.release(0);
          route.health.abandoned();
          return;
        }
        try {
          call(route, ticket);
        } catch (RuntimeException e) {
          calling = false;
          ticket.release(-1);
          finishFailed(info(ErrorClass.INTERNAL, "routing failed: " + e));
        }
      });
    } catch (RuntimeException e) {
      finishFailed(info(ErrorClass.INTERNAL, "routing failed: " + e));
    }
  }

  /**
   * Moves to the first route from the current one that can take the request, having reserved
   * its breaker permission; false when the request finished instead.
   */
  private boolean selectRoute() {
    for (; routeIndex < routes.size(); routeIndex++, triesOnRoute = 0) {
      Route route = routes.get(routeIndex);
      boolean last = routeIndex == routes.size() - 1;
      // better another deployment now than a wait for a rebalance
      if (!last && !route.lane.hasShare()) {
        continue;
      }
      long held = route.lane.heldFor();
      if (held > ctx.backoff.max().toMillis()) {
        boolean endsInTime = ctx.clock.millis() + held < deadline;
        ProviderException limited = rateLimited(route, held);
        if (!last && !(priority == Priority.BATCH && endsInTime)) {
          if (triesOnRoute > 0) {
            ctx.metrics.fallback(route, ErrorClass.RATE_LIMITED);
          }
          lastError = limited;
          continue;
        }
        if (priority == Priority.INTERACTIVE || !endsInTime) {
          finishFailed(limited.toErrorInfo());
          return false;
        }
      }
      if (route.health.tryEnter()) {
        return true;
      }
    }
    finishFailed(lastError != null ? lastError.toErrorInfo()
        : info(ErrorClass.TRANSIENT, "every deployment for model '" + request.getModel() + "' is cooling down"));
    return false;
  }

  private ProviderException rateLimited(Route route, long heldMillis) {
    String why = priority == Priority.INTERACTIVE
        ? "an interactive request waits at most max-backoff (" + ctx.backoff.max().toMillis() + " ms)"
        : "the request's deadline comes first";
    return new ProviderException(ErrorClass.RATE_LIMITED, "deployment '" + route.deployment
        + "' asked to wait another " + heldMillis + " ms (Retry-After); " + why, null, null,
        Duration.ofMillis(heldMillis));
  }

  private void call(Route route, Lane.Ticket ticket) {
    long started = ctx.clock.millis();
    if (started >= deadline) {
      ticket.release(0);
      route.health.abandoned();
      finishDeadline();
      return;
    }
    Duration timeout = Duration.ofMillis(Math.min(ctx.config.retry().attemptTimeout().toMillis(), deadline - started));
    int number = attempts.size() + 1;
    if (firstCallAt == null) {
      firstCallAt = started;
    }
    triesOnRoute++;
    long startNanos = System.nanoTime();
    CompletableFuture<ProviderReply> guarded = new CompletableFuture<>();
    CompletableFuture<ProviderReply> sent;
    try {
      sent = route.adapter.send(new ProviderCall(request, route.model, timeout, number));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<ProviderReply> call = sent;
    // an in-process provider may have answered already: no timer to arm then
    Future<?> timer = call.isDone() ? null : ctx.scheduler.schedule(() -> {
      if (guarded.completeExceptionally(new ProviderException(ErrorClass.TIMEOUT,
          "no answer from " + route.deployment + " within " + timeout.toMillis() + " ms"))) {
        call.cancel(true);
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    call.whenComplete((reply, error) -> {
      if (error == null) {
        guarded.complete(reply);
      } else {
        guarded.completeExceptionally(error);
      }
    });
    guarded.whenComplete((reply, error) -> {
      try {
        settle(route, ticket, number, started, startNanos, reply, error);
      } catch (RuntimeException e) {
        finishFailed(info(ErrorClass.INTERNAL, "routing failed: " + e));
      }
    });
    if (timer != null) {
      guarded.whenComplete((reply, error) -> timer.cancel(false));
    }
  }

  private void settle(Route route, Lane.Ticket ticket, int number, long started, long startNanos,
      ProviderReply reply, Throwable error) {
    long duration = Math.max(0, ctx.clock.millis() - started);
    providerMillis += duration;
    long nanos = System.nanoTime() - startNanos;
    if (error == null) {
      ticket.release(reply.usage().getInputTokens() + reply.usage().getOutputTokens());
      route.health.succeeded();
      attempts.add(attempt(number, route, started, duration, null, reply.httpStatus()));
      ctx.metrics.latency(route, true, nanos);
      succeed(route, reply);
    } else {
      ticket.release(-1);
      ProviderException failure = ProviderException.of(error);
      route.health.failed(failure.errorClass());
      attempts.add(attempt(number, route, started, duration, failure.toErrorInfo(), failure.httpStatus().orElse(null)));
      ctx.metrics.latency(route, false, nanos);
      ctx.metrics.error(route, failure.errorClass());
      failed(route, failure);
    }
  }

  private void failed(Route route, ProviderException failure) {
    lastError = failure;
    switch (failure.errorClass()) {
      case RATE_LIMITED, TRANSIENT, TIMEOUT -> {
        failure.retryAfter().ifPresent(wait -> route.lane.holdUntil(ctx.clock.millis() + wait.toMillis()));
        if (triesOnRoute >= ctx.config.retry().maxAttempts()) {
          fallBack(route, failure);
          return;
        }
        if (failure.retryAfter().filter(wait -> wait.compareTo(ctx.backoff.max()) > 0).isPresent()) {
          // the lane hold now decides: wait in the queue, fall back or fail
          step();
          return;
        }
        Duration delay = ctx.backoff.delay(triesOnRoute, failure.retryAfter());
        if (ctx.clock.millis() + delay.toMillis() < deadline) {
          ctx.metrics.retry(route, failure.errorClass());
          calling = false;
          ctx.scheduler.schedule(this::step, delay.toMillis(), TimeUnit.MILLISECONDS);
          return;
        }
        fallBack(route, failure);
      }
      case CREDENTIAL, QUOTA, DEPLOYMENT_FAULT -> fallBack(route, failure);
      default -> finishFailed(failure.toErrorInfo());
    }
  }

  private void fallBack(Route from, ProviderException failure) {
    routeIndex++;
    triesOnRoute = 0;
    if (routeIndex < routes.size()) {
      ctx.metrics.fallback(from, failure.errorClass());
    }
    step();
  }

  private void succeed(Route route, ProviderReply reply) {
    long cost = ctx.prices.costMicros(route.model, reply.usage());
    ctx.metrics.cost(route, cost);
    outcome.complete(new CallOutcome(
        Optional.of(new CallOutcome.Completion(route.provider(), route.model, route.deployment, reply.content(),
            reply.toolCalls(), reply.finishReason(), reply.usage(), cost)),
        Optional.empty(), attempts, Optional.ofNullable(firstCallAt), providerMillis));
  }

  private void finishDeadline() {
    String where = attempts.isEmpty() ? "before a provider call" : "after " + attempts.size() + " attempt(s)";
    finishFailed(info(ErrorClass.TIMEOUT, "deadline passed " + where));
  }

  /** Completes the outcome; a later completion (after an internal failure) is ignored. */
  private void finishFailed(ErrorInfo error) {
    outcome.complete(new CallOutcome(Optional.empty(), Optional.of(error), attempts,
        Optional.ofNullable(firstCallAt), providerMillis));
  }

  private static Attempt attempt(int number, Route route, long started, long duration, ErrorInfo error, Integer status) {
    return Attempt.newBuilder()
        .setNumber(number)
        .setDeployment(route.deployment)
        .setProvider(route.provider())
        .setModel(route.model)
        .setStartedAt(started)
        .setDurationMs(duration)
        .setError(error)
        .setHttpStatus(status)
        .build();
  }

  private static ErrorInfo info(ErrorClass errorClass, String message) {
    return ErrorInfo.newBuilder().setErrorClass(errorClass).setMessage(message).build();
  }

  /** The outcome future of one execution, which the router can also {@link #withdraw}. */
  final class Outcome extends CompletableFuture<CallOutcome> {

    /** Cancels this outcome unless a provider call is in progress; see {@link CallRouter#withdraw}. */
    boolean withdraw() {
      withdrawn = true;
      return !calling && cancel(false);
    }
  }
}
