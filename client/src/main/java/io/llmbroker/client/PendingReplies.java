package io.llmbroker.client;

import io.llmbroker.avro.LlmResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The futures waiting for replies, keyed by request id. A future completes at most once: the
 * first reply, its timeout or {@link #failAll} removes it, and whatever comes later finds
 * nothing.
 *
 * <p>Replies, timeouts and send failures complete their futures on the {@code callbacks}
 * executor, never on the thread that reports them (the reply listener, the timer, Kafka's
 * producer thread): the stages a caller chains without an executor of its own run there, and a
 * caller that blocks in one cannot stall the listener. Thread-safe.
 */
final class PendingReplies implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PendingReplies.class);

  /** How many timed-out ids are remembered, so that their late replies can be named as such. */
  private static final int REMEMBERED_TIMEOUTS = 10_000;

  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Boolean> timedOut = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED_TIMEOUTS;
    }
  };
  private final ScheduledThreadPoolExecutor timers;
  private final Function<Pending, String> timeoutReason;
  private final Executor callbacks;

  /**
   * @param timeoutReason explains a timeout given the request's state (enqueued or not)
   * @param callbacks completes the futures
   */
  PendingReplies(Function<Pending, String> timeoutReason, Executor callbacks) {
    this.timeoutReason = timeoutReason;
    this.callbacks = callbacks;
    this.timers = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "llm-broker-client-timeouts");
      t.setDaemon(true);
      return t;
    });
    timers.setRemoveOnCancelPolicy(true);
  }

  /** One waiting request. */
  static final class Pending {
    final String id;
    final Duration timeout;
    final CompletableFuture<LlmResponse> future = new CompletableFuture<>();
    volatile boolean enqueued;
    volatile ScheduledFuture<?> timer;

    Pending(String id, Duration timeout) {
      this.id = id;
      this.timeout = timeout;
    }
  }

  /**
   * Registers a request and starts its timeout.
   *
   * @throws IllegalArgumentException when a request with this id is already waiting
   */
  Pending register(String id, Duration timeout) {
    Pending p = new Pending(id, timeout);
    if (pending.putIfAbsent(id, p) != null) {
      throw new IllegalArgumentException("a request with id '" + id + "' is already waiting for its reply");
    }
    p.timer = timers.schedule(() -> expire(p), timeout.toNanos(), TimeUnit.NANOSECONDS);
    // Whoever completes the future (reply, timeout, close, or the caller cancelling) frees the slot.
    p.future.whenComplete((r, e) -> {
      pending.remove(id, p);
      ScheduledFuture<?> timer = p.timer;
      if (timer != null) {
        timer.cancel(false);
      }
    });
    return p;
  }

  /** Completes the waiting future of {@code response}; a reply nobody waits for is dropped. */
  void complete(LlmResponse response) {
    String id = response.getRequestId();
    // Claimed here, on the reporting thread: a duplicate read right after finds nothing, even
    // while the first reply's completion still waits for a callback thread.
    Pending p = pending.remove(id);
    if (p == null) {
      logDropped(id);
      return;
    }
    onCallbacks(() -> {
      if (!p.future.complete(response)) {
        logDropped(id);
      }
    });
  }

  private void logDropped(String id) {
    if (log.isDebugEnabled()) {
      boolean late;
      synchronized (timedOut) {
        late = timedOut.containsKey(id);
      }
      log.debug(late
          ? "dropping late reply to request {}: its timeout had already expired"
          : "dropping reply to request {}: no request waits for it (a duplicate, or another instance's)", id);
    }
  }

  void fail(String id, Throwable error) {
    Pending p = pending.remove(id);
    if (p != null) {
      onCallbacks(() -> p.future.completeExceptionally(error));
    }
  }

  void markEnqueued(String id) {
    Pending p = pending.get(id);
    if (p != null) {
      p.enqueued = true;
    }
  }

  /** Fails every waiting future, on the calling thread, with the error {@code cause} gives for its id. */
  void failAll(Function<String, RuntimeException> cause) {
    pending.values().forEach(p -> p.future.completeExceptionally(cause.apply(p.id)));
  }

  int size() {
    return pending.size();
  }

  private void expire(Pending p) {
    if (!pending.remove(p.id, p)) {
      return;
    }
    synchronized (timedOut) {
      timedOut.put(p.id, Boolean.TRUE);
    }
    RequestTimeoutException timeout = new RequestTimeoutException(p.id,
        "no reply to request " + p.id + " within " + p.timeout.toMillis() + " ms: " + timeoutReason.apply(p));
    onCallbacks(() -> p.future.completeExceptionally(timeout));
  }

  private void onCallbacks(Runnable completion) {
    try {
      callbacks.execute(completion);
    } catch (RejectedExecutionException e) {
      // An executor that refuses (shut down by its owner) must not leave a future hanging.
      completion.run();
    }
  }

  @Override
  public void close() {
    timers.shutdownNow();
  }
}
