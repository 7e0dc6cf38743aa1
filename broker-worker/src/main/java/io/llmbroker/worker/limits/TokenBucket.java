package io.llmbroker.worker.limits;

import java.time.Clock;

/**
 * A per-minute budget (requests or tokens) refilled continuously: {@code perMinute} permits,
 * burst up to {@code perMinute}. A request for more permits than the whole budget is clamped
 * to the budget so that it can pass when the bucket is full. {@link #adjust} settles the
 * difference between an estimate and the real usage after the call; the balance may go
 * negative, which delays later takers.
 *
 * <p>Not thread-safe: the owning {@link Lane} guards it.
 */
final class TokenBucket {

  private final Clock clock;
  private double perMinute;
  private double available;
  private long lastRefill;

  TokenBucket(long perMinute, Clock clock) {
    this.clock = clock;
    this.perMinute = perMinute;
    this.available = perMinute;
    this.lastRefill = clock.millis();
  }

  /** Millis until {@code permits} are available; 0 when they are now. */
  long waitMillis(long permits) {
    refill();
    double need = Math.min(permits, perMinute);
    if (available >= need) {
      return 0;
    }
    if (perMinute <= 0) {
      return Long.MAX_VALUE;
    }
    return (long) Math.ceil((need - available) * 60_000.0 / perMinute);
  }

  /** Takes permits (clamped to the budget); call only after {@link #waitMillis} returned 0. */
  long take(long permits) {
    long taken = (long) Math.min(permits, perMinute);
    available -= taken;
    return taken;
  }

  /** Adds {@code delta} more permits to what was taken (negative gives some back). */
  void adjust(long delta) {
    refill();
    available = Math.min(perMinute, available - delta);
  }

  /** Changes the budget; the balance keeps its fill ratio. */
  void resize(long newPerMinute) {
    refill();
    if (perMinute > 0) {
      available = available * newPerMinute / perMinute;
    } else {
      available = newPerMinute;
    }
    perMinute = newPerMinute;
  }

  private void refill() {
    long now = clock.millis();
    long elapsed = now - lastRefill;
    if (elapsed > 0) {
      available = Math.min(perMinute, available + elapsed * perMinute / 60_000.0);
      lastRefill = now;
    }
  }
}
