package io.llmbroker.runtime.retry;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.Optional;

/**
 * The one backoff of the project: exponential from an initial delay, doubled per failed
 * attempt, randomised by ±50 % so that the retries of a burst spread out, capped at a maximum,
 * and never shorter than a server's {@code Retry-After}. Resilience4j's
 * {@link IntervalFunction} computes the interval. Immutable and thread-safe.
 */
public final class Backoff {

  private final IntervalFunction interval;
  private final Duration max;

  private Backoff(IntervalFunction interval, Duration max) {
    this.interval = interval;
    this.max = max;
  }

  /**
   * @throws IllegalArgumentException when {@code initial} is not positive or {@code max} is
   *     shorter than {@code initial}
   */
  public static Backoff exponential(Duration initial, Duration max) {
    if (initial.isZero() || initial.isNegative()) {
      throw new IllegalArgumentException("initial backoff must be > 0: " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max backoff must be >= the initial one (" + initial + "): " + max);
    }
    return new Backoff(IntervalFunction.ofExponentialRandomBackoff(initial, 2.0, 0.5, max), max);
  }

  /** The delay before the next try, after {@code failedAttempts} (at least 1) failed ones. */
  public Duration delay(int failedAttempts) {
    return Duration.ofMillis(interval.apply(Math.max(1, failedAttempts)));
  }

  /** {@link #delay(int)}, but never shorter than the server's {@code retryAfter}. */
  public Duration delay(int failedAttempts, Optional<Duration> retryAfter) {
    Duration delay = delay(failedAttempts);
    return retryAfter.filter(after -> after.compareTo(delay) > 0).orElse(delay);
  }

  /** The longest delay {@link #delay(int)} returns. */
  public Duration max() {
    return max;
  }
}
