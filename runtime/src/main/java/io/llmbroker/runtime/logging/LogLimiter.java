package io.llmbroker.runtime.logging;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Rate-limits repetitive log lines: at most one line per event kind per interval; the lines
 * held back are counted and the next line written says how many with {@code suppressed=N}. A
 * flood of 5,000 bad records then writes a handful of lines, while the service's metrics still
 * count every record. Written by hand: log libraries' rate filters neither count per kind nor
 * report what they dropped.
 *
 * <p>Thread-safe. Kinds should be a small fixed set (event names), as each keeps a little state.
 */
public final class LogLimiter {

  /** One line per kind per this interval, unless told otherwise. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /**
   * @param interval how long a kind stays quiet after a line
   * @param nanoTime the clock, {@code System::nanoTime} outside tests
   */
  public LogLimiter(Duration interval, LongSupplier nanoTime) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be > 0: " + interval);
    }
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  /** One line per kind per {@link #DEFAULT_INTERVAL}, on the system clock. */
  public static LogLimiter perDefaultInterval() {
    return new LogLimiter(DEFAULT_INTERVAL, System::nanoTime);
  }

  /**
   * Whether a line of {@code kind} may be written now: -1 when it is held back (and counted),
   * otherwise the number of lines of that kind held back since the last one written.
   */
  public long admit(String kind) {
    long now = nanoTime.getAsLong();
    Window window = windows.computeIfAbsent(kind, k -> new Window(now));
    long next = window.nextLine.get();
    if (now - next < 0 || !window.nextLine.compareAndSet(next, now + intervalNanos)) {
      window.suppressed.incrementAndGet();
      return -1;
    }
    return window.suppressed.getAndSet(0);
  }

  /**
   * Logs {@code format} with {@code args} at {@code level} when {@link #admit} lets a line of
   * {@code kind} through, adding {@code suppressed=N} when lines were held back. A trailing
   * {@link Throwable} argument is logged as the line's cause.
   */
  public void log(Logger log, Level level, String kind, String format, Object... args) {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    long suppressed = admit(kind);
    if (suppressed < 0) {
      return;
    }
    LoggingEventBuilder line = log.atLevel(level).setMessage(suppressed == 0 ? format : format + " suppressed={}");
    int values = args.length > 0 && args[args.length - 1] instanceof Throwable ? args.length - 1 : args.length;
    for (int i = 0; i < values; i++) {
      line = line.addArgument(args[i]);
    }
    if (suppressed > 0) {
      line = line.addArgument(suppressed);
    }
    if (values < args.length) {
      line = line.setCause((Throwable) args[values]);
    }
    line.log();
  }

  /** When the next line of a kind may be written, and how many were held back since the last. */
  private static final class Window {
    final AtomicLong nextLine;
    final AtomicLong suppressed = new AtomicLong();

    Window(long firstLine) {
      nextLine = new AtomicLong(firstLine);
    }
  }
}
