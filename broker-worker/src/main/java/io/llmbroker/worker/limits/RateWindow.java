package io.llmbroker.worker.limits;

import java.time.Clock;
import java.util.ArrayDeque;

/**
 * A per-minute budget (requests or tokens) over a sliding 60 s window: what was charged in the
 * last 60 s plus what is asked now may not exceed {@code perMinute}, so no 60 s window ever sees
 * more than the budget at admission. Charges are summed per 100 ms slot (at most 601 slots in
 * memory) and a slot leaves the window 60 s after its end, which errs on the side of the limit.
 * A request for more than the whole budget is clamped to it, so it passes once the window is
 * empty. {@link #adjust} settles an estimate against the real usage after the call; a charge
 * above the estimate may then push a window past the budget, which delays later takers.
 *
 * <p>Written by hand: a token bucket (Bucket4j, Resilience4j's {@code RateLimiter}) bounds a
 * 60 s window only by its capacity plus a minute of refill, so a full bucket lets twice the rate
 * through in one minute, while providers count per minute.
 *
 * <p>Not thread-safe: the owning {@link Lane} guards it.
 */
final class RateWindow {

  static final long WINDOW_MILLIS = 60_000;
  private static final long SLOT_MILLIS = 100;

  /** Where a charge landed, for {@link #adjust}. */
  record Charge(long slot, long permits) {}

  private final Clock clock;
  private final ArrayDeque<long[]> slots = new ArrayDeque<>();
  private long perMinute;
  private long used;

  RateWindow(long perMinute, Clock clock) {
    this.perMinute = perMinute;
    this.clock = clock;
  }

  /** Millis until {@code permits} fit; 0 when they fit now; {@code Long.MAX_VALUE} for a zero budget. */
  long waitMillis(long permits) {
    if (perMinute <= 0) {
      return Long.MAX_VALUE;
    }
    long now = clock.millis();
    expire(now);
    long excess = used + Math.min(permits, perMinute) - perMinute;
    for (long[] slot : slots) {
      if (excess <= 0) {
        break;
      }
      excess -= slot[1];
      if (excess <= 0) {
        return Math.max(1, leavesAt(slot[0]) - now);
      }
    }
    return excess <= 0 ? 0 : Long.MAX_VALUE;
  }

  /** Charges permits (clamped to the budget); call only after {@link #waitMillis} returned 0. */
  Charge take(long permits) {
    long charged = Math.min(permits, perMinute);
    long slot = Math.floorDiv(clock.millis(), SLOT_MILLIS) * SLOT_MILLIS;
    long[] last = slots.peekLast();
    if (last != null && last[0] == slot) {
      last[1] += charged;
    } else {
      slots.addLast(new long[] {slot, charged});
    }
    used += charged;
    return new Charge(slot, charged);
  }

  /** Settles a charge to {@code actual} permits; a difference in a slot already gone from the window is dropped. */
  void adjust(Charge charge, long actual) {
    expire(clock.millis());
    for (long[] slot : slots) {
      if (slot[0] == charge.slot()) {
        long before = slot[1];
        slot[1] = Math.max(0, slot[1] + actual - charge.permits());
        used += slot[1] - before;
        return;
      }
    }
  }

  void resize(long newPerMinute) {
    perMinute = newPerMinute;
  }

  boolean zero() {
    return perMinute <= 0;
  }

  private void expire(long now) {
    while (!slots.isEmpty() && leavesAt(slots.peekFirst()[0]) <= now) {
      used -= slots.pollFirst()[1];
    }
  }

  private static long leavesAt(long slot) {
    return slot + SLOT_MILLIS + WINDOW_MILLIS;
  }
}
