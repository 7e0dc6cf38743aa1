package io.llmbroker.worker.routing;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Delay before retry {@code n} on the same deployment: exponential from the initial backoff,
 * capped, with "equal jitter" (half fixed, half random) so that retries of a burst spread out,
 * and never shorter than the provider's Retry-After. Thread-safe when the random source is.
 */
final class Backoff {

  private final Duration initial;
  private final Duration max;
  private final DoubleSupplier random;

  Backoff(Duration initial, Duration max, DoubleSupplier random) {
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  /** @param failedAttempts attempts already failed on this deployment, at least 1 */
  Duration delay(int failedAttempts, Optional<Duration> retryAfter) {
    long base = initial.toMillis() << Math.min(30, Math.max(0, failedAttempts - 1));
    long capped = Math.min(max.toMillis(), Math.max(base, 0));
    long jittered = capped / 2 + (long) (random.getAsDouble() * (capped - capped / 2));
    long floor = retryAfter.map(Duration::toMillis).orElse(0L);
    return Duration.ofMillis(Math.max(jittered, floor));
  }

  /** A Retry-After longer than the longest backoff is better spent on the next deployment. */
  boolean worthWaiting(Optional<Duration> retryAfter) {
    return retryAfter.map(d -> d.compareTo(max) <= 0).orElse(true);
  }
}
