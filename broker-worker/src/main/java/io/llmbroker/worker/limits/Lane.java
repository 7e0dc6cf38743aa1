package io.llmbroker.worker.limits;

import io.llmbroker.avro.Priority;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The admission gate of one deployment: a concurrency cap, optional requests-per-minute and
 * tokens-per-minute budgets, and one waiting queue per priority class.
 *
 * <p><b>Priority.</b> A free slot goes to the highest waiting class, so an interactive request
 * takes the next free slot even behind a million queued batch requests. Minimum shares keep
 * lower classes alive: every admission credits each waiting class with its share, and a class
 * whose credit reaches one admission is served first (then pays one admission back). A class
 * with share {@code s} therefore gets at least a fraction {@code s} of admissions while it
 * waits, credit never builds up while it does not, and a class alone takes every slot.
 *
 * <p><b>Limits.</b> A slot is a permit released exactly once by {@link Ticket#release}. The TPM
 * budget is charged the estimated tokens at admission and corrected to the real usage on
 * release. When the head of the chosen class must wait for rate budget, the lane schedules one
 * wake-up instead of holding any thread; waiting requests are futures, not threads. Lanes are
 * independent, so a slow deployment never delays another.
 *
 * <p>Thread-safe: state is guarded by the lane's monitor, and admitted futures are completed
 * outside it.
 */
public final class Lane {

  private static final long ONE = 1_000_000;
  private static final Priority[] ORDER = {Priority.INTERACTIVE, Priority.STANDARD, Priority.BATCH};

  private static final ThreadLocal<ArrayDeque<Ticket>> TRAMPOLINE = ThreadLocal.withInitial(ArrayDeque::new);
  private static final ThreadLocal<Boolean> DRAINING = ThreadLocal.withInitial(() -> false);

  private final String name;
  private final Clock clock;
  private final DelayScheduler scheduler;
  private final long[] shares = new long[3];
  private final long[] credits = new long[3];
  @SuppressWarnings("unchecked")
  private final ArrayDeque<Ticket>[] queues = new ArrayDeque[] {new ArrayDeque<>(), new ArrayDeque<>(), new ArrayDeque<>()};
  private final int[] waiting = new int[3];
  private final TokenBucket requests;
  private final TokenBucket tokens;
  private int capacity;
  private int inFlight;
  private boolean wakeupPending;

  /**
   * @param rpm requests per minute for this lane, or {@code null} for no limit
   * @param tpm tokens per minute for this lane, or {@code null} for no limit
   */
  public Lane(String name, int capacity, Long rpm, Long tpm, MinShares minShares, Clock clock,
      DelayScheduler scheduler, MeterRegistry meters) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0: " + capacity);
    }
    this.name = name;
    this.capacity = capacity;
    this.clock = clock;
    this.scheduler = scheduler;
    for (Priority p : ORDER) {
      shares[p.ordinal()] = Math.round(minShares.of(p) * ONE);
    }
    this.requests = rpm == null ? null : new TokenBucket(rpm, clock);
    this.tokens = tpm == null ? null : new TokenBucket(tpm, clock);
    Gauge.builder("llm_broker_lane_in_flight", this, Lane::inFlight)
        .description("provider calls holding a slot of the lane").tag("deployment", name).register(meters);
    Gauge.builder("llm_broker_lane_capacity", this, Lane::capacity)
        .description("slots this worker may use on the lane").tag("deployment", name).register(meters);
    for (Priority p : ORDER) {
      Gauge.builder("llm_broker_lane_queue_depth", this, lane -> lane.queued(p))
          .description("requests waiting for a slot of the lane").tag("deployment", name)
          .tag("priority", p.name().toLowerCase(java.util.Locale.ROOT)).register(meters);
    }
  }

  public String name() {
    return name;
  }

  /**
   * Queues a request for a slot. The ticket's {@link Ticket#admitted()} future completes when
   * the request may call the provider; the caller then owes exactly one {@link Ticket#release}.
   *
   * @param estimatedTokens what the TPM budget is charged now; corrected on release
   */
  public Ticket acquire(Priority priority, long estimatedTokens) {
    Ticket ticket = new Ticket(priority, Math.max(0, estimatedTokens));
    synchronized (this) {
      queues[priority.ordinal()].addLast(ticket);
      waiting[priority.ordinal()]++;
    }
    dispatch();
    return ticket;
  }

  /**
   * Sets this worker's share of the deployment after a rebalance. Calls in flight keep their
   * slots; when the capacity shrank below them, no request is admitted until enough finish.
   */
  public void resize(int newCapacity, Long rpm, Long tpm) {
    if (newCapacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0: " + newCapacity);
    }
    synchronized (this) {
      capacity = newCapacity;
      if (requests != null && rpm != null) {
        requests.resize(rpm);
      }
      if (tokens != null && tpm != null) {
        tokens.resize(tpm);
      }
    }
    dispatch();
  }

  public synchronized int capacity() {
    return capacity;
  }

  public synchronized int inFlight() {
    return inFlight;
  }

  /** True when no more calls hold a slot than the capacity allows (false after a shrinking resize until enough finish). */
  public synchronized boolean withinCapacity() {
    return inFlight <= capacity;
  }

  public synchronized int queued(Priority priority) {
    return waiting[priority.ordinal()];
  }

  private void dispatch() {
    List<Ticket> admitted = new ArrayList<>();
    long wakeIn = 0;
    synchronized (this) {
      while (inFlight < capacity) {
        Priority chosen = choose();
        if (chosen == null) {
          break;
        }
        Ticket head = queues[chosen.ordinal()].peekFirst();
        long wait = Math.max(requests == null ? 0 : requests.waitMillis(1),
            tokens == null ? 0 : tokens.waitMillis(head.estimatedTokens));
        if (wait > 0) {
          if (!wakeupPending && wait != Long.MAX_VALUE) {
            wakeupPending = true;
            wakeIn = wait;
          }
          break;
        }
        queues[chosen.ordinal()].pollFirst();
        waiting[chosen.ordinal()]--;
        if (requests != null) {
          requests.take(1);
        }
        if (tokens != null) {
          head.chargedTokens = tokens.take(head.estimatedTokens);
        }
        settleCredits(chosen);
        head.state = State.ADMITTED;
        inFlight++;
        admitted.add(head);
      }
    }
    if (wakeIn > 0) {
      scheduler.schedule(Duration.ofMillis(wakeIn), () -> {
        synchronized (this) {
          wakeupPending = false;
        }
        dispatch();
      });
    }
    admit(admitted);
  }

  /**
   * Completes admissions through a per-thread trampoline: an admitted caller that finishes at
   * once (a zero-latency provider) releases and admits the next one from inside this call, and
   * without the trampoline a long queue would recurse until the stack overflows.
   */
  private static void admit(List<Ticket> admitted) {
    if (admitted.isEmpty()) {
      return;
    }
    ArrayDeque<Ticket> pending = TRAMPOLINE.get();
    pending.addAll(admitted);
    if (DRAINING.get()) {
      return;
    }
    DRAINING.set(true);
    try {
      Ticket next;
      while ((next = pending.pollFirst()) != null) {
        next.admitted.complete(null);
      }
    } finally {
      DRAINING.set(false);
    }
  }

  /** The class whose head goes next; drops cancelled heads on the way. */
  private Priority choose() {
    Priority first = null;
    for (Priority p : ORDER) {
      ArrayDeque<Ticket> q = queues[p.ordinal()];
      while (!q.isEmpty() && q.peekFirst().state == State.CANCELLED) {
        q.pollFirst();
      }
      if (q.isEmpty()) {
        continue;
      }
      if (credits[p.ordinal()] >= ONE) {
        return p;
      }
      if (first == null) {
        first = p;
      }
    }
    return first;
  }

  private void settleCredits(Priority admitted) {
    for (Priority p : ORDER) {
      int i = p.ordinal();
      if (waiting[i] > 0 || p == admitted) {
        credits[i] = Math.min(2 * ONE, credits[i] + shares[i]);
      }
    }
    credits[admitted.ordinal()] = Math.max(0, credits[admitted.ordinal()] - ONE);
  }

  private synchronized boolean cancel(Ticket ticket) {
    if (ticket.state != State.WAITING) {
      return false;
    }
    ticket.state = State.CANCELLED;
    waiting[ticket.priority.ordinal()]--;
    return true;
  }

  private void release(Ticket ticket, long actualTokens) {
    synchronized (this) {
      if (ticket.state != State.ADMITTED) {
        return;
      }
      ticket.state = State.RELEASED;
      inFlight--;
      if (tokens != null && actualTokens >= 0) {
        tokens.adjust(actualTokens - ticket.chargedTokens);
      }
    }
    dispatch();
  }

  private enum State { WAITING, ADMITTED, CANCELLED, RELEASED }

  /** One request's place in the lane: waiting, then holding a slot, then done. */
  public final class Ticket {
    private final Priority priority;
    private final long estimatedTokens;
    private final CompletableFuture<Void> admitted = new CompletableFuture<>();
    private long chargedTokens;
    private State state = State.WAITING;

    private Ticket(Priority priority, long estimatedTokens) {
      this.priority = priority;
      this.estimatedTokens = estimatedTokens;
    }

    /** Completes (normally) when the request holds a slot; never completes once cancelled. */
    public CompletableFuture<Void> admitted() {
      return admitted;
    }

    /** Leaves the queue; false when the request was already admitted (then release it instead). */
    public boolean cancel() {
      return Lane.this.cancel(this);
    }

    /**
     * Gives the slot back and settles the token budget with the real usage ({@code -1} when
     * unknown keeps the estimate). Idempotent; a no-op for a ticket never admitted.
     */
    public void release(long actualTokens) {
      Lane.this.release(this, actualTokens);
    }
  }
}
