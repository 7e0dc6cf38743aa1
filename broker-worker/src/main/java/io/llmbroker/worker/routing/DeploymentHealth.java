package io.llmbroker.worker.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.llmbroker.avro.ErrorClass;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The cool-down state of one deployment on this worker, a Resilience4j circuit breaker: closed
 * while calls work; open for the cool-down after {@code threshold} consecutive failures that say
 * the deployment is unwell (rate limits, transient faults, timeouts, quota failures; not caller
 * faults), and at once on a credential failure, which no retry cures; then half-open, letting
 * one probe call through whose result closes or re-opens it.
 *
 * <p>Every {@link #tryEnter} that returns true owes exactly one of {@link #succeeded},
 * {@link #failed} or {@link #abandoned}: a probe withdrawn before its call must give its
 * permission back, or the deployment stays half-open with no probe left to decide it.
 * Thread-safe.
 */
final class DeploymentHealth {

  private final CircuitBreaker breaker;

  /** @param onOpen runs on every transition to open, on the thread that caused it */
  DeploymentHealth(String deployment, int threshold, Duration cooldown, Clock clock, Runnable onOpen) {
    this.breaker = CircuitBreaker.of(deployment, CircuitBreakerConfig.custom()
        // a count window of `threshold` calls at a 100 % failure rate: `threshold` failures in a row
        .slidingWindow(threshold, threshold, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .failureRateThreshold(100)
        .waitDurationInOpenState(cooldown)
        .permittedNumberOfCallsInHalfOpenState(1)
        .clock(clock)
        .build());
    breaker.getEventPublisher().onStateTransition(event -> {
      if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
        onOpen.run();
      }
    });
  }

  /** Whether a call may go to the deployment now; true in half-open reserves the one probe. */
  boolean tryEnter() {
    return breaker.tryAcquirePermission();
  }

  void succeeded() {
    breaker.onSuccess(0, TimeUnit.MILLISECONDS);
  }

  void failed(ErrorClass errorClass) {
    if (errorClass == ErrorClass.CREDENTIAL) {
      breaker.onError(0, TimeUnit.MILLISECONDS, new IllegalStateException(errorClass.name()));
      if (breaker.getState() != CircuitBreaker.State.OPEN) {
        breaker.transitionToOpenState();
      }
    } else if (countsAgainst(errorClass)) {
      breaker.onError(0, TimeUnit.MILLISECONDS, new IllegalStateException(errorClass.name()));
    } else {
      // the deployment answered, which is all a probe needs to show
      breaker.onSuccess(0, TimeUnit.MILLISECONDS);
    }
  }

  /** A permission taken by {@link #tryEnter} whose call was never made (withdrawn or expired while queued). */
  void abandoned() {
    breaker.releasePermission();
  }

  boolean open() {
    return breaker.getState() == CircuitBreaker.State.OPEN;
  }

  private static boolean countsAgainst(ErrorClass c) {
    return c == ErrorClass.RATE_LIMITED || c == ErrorClass.TRANSIENT || c == ErrorClass.TIMEOUT
        || c == ErrorClass.QUOTA || c == ErrorClass.DEPLOYMENT_FAULT;
  }
}
