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
 * <p><b>Limits.</b> A slot is a permit released exactly once by {@link Ticket#release}. RPM and
 * TPM are counted over a sliding 60 s window ({@link RateWindow}); the TPM budget is charged the
 * estimated tokens at admission and corrected to the real usage on release. A budget of zero
 * (a share that rounded down) admits nothing, like a capacity of zero. When the head of the
 * chosen class must wait for token budget, the head of a higher class that fits is admitted
 * instead, so an interactive request never waits behind a large lower-class request; a lower
 * class never passes a higher one. While the lane is held ({@link #holdUntil}, a provider's
 * {@code Retry-After}) it admits nothing. Waiting costs one scheduled wake-up, never a thread;
 * waiting requests are futures. Lanes are independent, so a slow deployment never delays
 * another.
 *
 * <p><b>Capacity.</b> Admission happens only while in-flight calls are below the capacity, so
 * after {@link #resize} shrinks it no request is admitted until enough calls finished to be
 * below the new capacity.
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
  private final RateWindow requests;
  private final RateWindow tokens;
  private int capacity;
  private int inFlight;
  private long heldUntil;
  private long wakeupAt = Long.MAX_VALUE;

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
    this.requests = rpm == null ? null : new RateWindow(rpm, clock);
    this.tokens = tpm == null ? null : new RateWindow(tpm, clock);
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
   * slots; while they are at or above the new capacity, no request is admitted.
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

  /** False when this worker's share of the cap, the RPM or the TPM is zero: the lane admits nothing. */
  public synchronized boolean hasShare() {
    return capacity > 0 && (requests == null || !requests.zero()) && (tokens == null || !tokens.zero());
  }

  /**
   * Admits nothing before {@code epochMillis} (a provider's {@code Retry-After}); an earlier
   * time than the current hold is ignored. Waiting requests keep their places.
   */
  public void holdUntil(long epochMillis) {
    synchronized (this) {
      heldUntil = Math.max(heldUntil, epochMillis);
    }
    dispatch();
  }

  /** Millis the lane is still held for; 0 when it is not. */
  public synchronized long heldFor() {
    return Math.max(0, heldUntil - clock.millis());
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
    long wakeIn = Long.MAX_VALUE;
    long wakeAt = Long.MAX_VALUE;
    synchronized (this) {
      long now = clock.millis();
      while (inFlight < capacity) {
        if (now < heldUntil) {
          wakeIn = heldUntil - now;
          break;
        }
        Priority chosen = choose();
        if (chosen == null) {
          break;
        }
        Priority next = chosen;
        long wait = budgetWait(chosen);
        if (wait > 0) {
          next = null;
          for (Priority higher : ORDER) {
            if (higher == chosen) {
              break;
            }
            long higherWait = queues[higher.ordinal()].isEmpty() ? Long.MAX_VALUE : budgetWait(higher);
            if (higherWait == 0) {
              next = higher;
              break;
            }
            wait = Math.min(wait, higherWait);
          }
        }
        if (next == null) {
          wakeIn = wait;
          break;
        }
        Ticket head = queues[next.ordinal()].pollFirst();
        waiting[next.ordinal()]--;
        if (requests != null) {
          requests.take(1);
        }
        if (tokens != null) {
          head.tokenCharge = tokens.take(head.estimatedTokens);
        }
        settleCredits(next);
        head.state = State.ADMITTED;
        inFlight++;
        admitted.add(head);
      }
      if (wakeIn != Long.MAX_VALUE && now + wakeIn < wakeupAt) {
        wakeupAt = now + wakeIn;
        wakeAt = wakeupAt;
      }
    }
    if (wakeAt != Long.MAX_VALUE) {
      long at = wakeAt;
      scheduler.schedule(Duration.ofMillis(wakeIn), () -> {
        synchronized (this) {
          if (wakeupAt == at) {
            wakeupAt = Long.MAX_VALUE;
          }
        }
        dispatch();
      });
    }
    admit(admitted);
  }

  /** Millis until the head of {@code p} fits the rate budgets; 0 when it does now. */
  private long budgetWait(Priority p) {
    Ticket head = queues[p.ordinal()].peekFirst();
    return Math.max(requests == null ? 0 : requests.waitMillis(1),
        tokens == null ? 0 : tokens.waitMillis(head.estimatedTokens));
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
        tokens.adjust(ticket.tokenCharge, actualTokens);
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
    private RateWindow.Charge tokenCharge;
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
