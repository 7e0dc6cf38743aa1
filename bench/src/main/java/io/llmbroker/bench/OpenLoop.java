package io.llmbroker.bench;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Open-loop load at a fixed rate: send {@code i} is due at {@code start + i / rate} whatever
 * happened to earlier sends, and each send is told the time it was due. Measuring from that
 * intended time, not from when the send actually happened, keeps a stall (a GC pause, a slow
 * send) from hiding the requests that should have been sent during it: the coordinated-omission
 * trap of closed-loop load generators. A send that falls behind is made at once, never skipped.
 *
 * <p>Not thread-safe: {@link #run} paces the calling thread.
 */
final class OpenLoop {

  /** Makes one send; {@code intendedNanos} is when it was due on the ticker. */
  interface Sender {
    void send(long index, long intendedNanos);
  }

  private final long intervalNanos;
  private final LongSupplier ticker;
  private final LongConsumer parkNanos;

  /**
   * @param ticker monotonic nanoseconds, {@code System::nanoTime} outside tests
   * @param parkNanos waits about that many nanoseconds, {@code LockSupport::parkNanos} outside tests
   */
  OpenLoop(double ratePerSecond, LongSupplier ticker, LongConsumer parkNanos) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("rate must be > 0 requests/s: " + ratePerSecond);
    }
    this.intervalNanos = Math.round(1e9 / ratePerSecond);
    this.ticker = ticker;
    this.parkNanos = parkNanos;
  }

  static OpenLoop atRate(double ratePerSecond) {
    return new OpenLoop(ratePerSecond, System::nanoTime, LockSupport::parkNanos);
  }

  /**
   * Sends at the rate for {@code duration}, starting now.
   *
   * @return how many sends were made: {@code duration × rate}, rounded up
   */
  long run(Duration duration, Sender sender) {
    long start = ticker.getAsLong();
    long sends = (duration.toNanos() + intervalNanos - 1) / intervalNanos;
    for (long i = 0; i < sends; i++) {
      long due = start + i * intervalNanos;
      for (long wait = due - ticker.getAsLong(); wait > 0; wait = due - ticker.getAsLong()) {
        parkNanos.accept(wait);
        if (Thread.currentThread().isInterrupted()) {
          return i;
        }
      }
      sender.send(i, due);
    }
    return sends;
  }
}
