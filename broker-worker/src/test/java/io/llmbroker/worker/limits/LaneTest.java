package io.llmbroker.worker.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LaneTest {

  private final MutableClock clock = new MutableClock(1_000_000);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final Set<Lane.Ticket> used = Collections.newSetFromMap(new IdentityHashMap<>());

  private Lane lane(int capacity, Long rpm, Long tpm, MinShares shares) {
    return new Lane("d1", capacity, rpm, tpm, shares, clock, clock, meters);
  }

  @Test
  void interactiveRequestOvertakesBatchBacklog() {
    Lane lane = lane(2, null, null, new MinShares(0, 0.1, 0.1));
    List<Lane.Ticket> batch = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      batch.add(lane.acquire(Priority.BATCH, 10));
    }
    Lane.Ticket interactive = lane.acquire(Priority.INTERACTIVE, 10);

    batch.get(0).release(10);

    assertThat(interactive.admitted()).isDone();
    assertThat(batch.get(2).admitted()).isNotDone();
    assertThat(lane.queued(Priority.BATCH)).isEqualTo(99_998);
    assertThat(lane.inFlight()).isEqualTo(2);
  }

  @Test
  void minShareLetsBatchProgressUnderAnInteractiveFlood() {
    Lane lane = lane(1, null, null, new MinShares(0, 0, 0.1));
    Lane.Ticket running = lane.acquire(Priority.INTERACTIVE, 1);
    List<Lane.Ticket> interactive = new ArrayList<>();
    List<Lane.Ticket> batch = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      interactive.add(lane.acquire(Priority.INTERACTIVE, 1));
      batch.add(lane.acquire(Priority.BATCH, 1));
    }
    List<Priority> order = new ArrayList<>();

    Lane.Ticket current = running;
    for (int i = 0; i < 200; i++) {
      current.release(1);
      current = findAdmitted(interactive, batch, order);
    }

    long batchTurns = order.stream().filter(p -> p == Priority.BATCH).count();
    assertThat(batchTurns).isBetween(18L, 21L);
  }

  private Lane.Ticket findAdmitted(List<Lane.Ticket> interactive, List<Lane.Ticket> batch, List<Priority> order) {
    for (Lane.Ticket t : interactive) {
      if (t.admitted().isDone() && !used.contains(t)) {
        used.add(t);
        order.add(Priority.INTERACTIVE);
        return t;
      }
    }
    for (Lane.Ticket t : batch) {
      if (t.admitted().isDone() && !used.contains(t)) {
        used.add(t);
        order.add(Priority.BATCH);
        return t;
      }
    }
    throw new AssertionError("nothing was admitted");
  }

  @Test
  void aLoneBatchJobUsesEveryDeploymentSlot() {
    Lane lane = lane(8, null, null, new MinShares(0, 0.1, 0.1));

    List<Lane.Ticket> batch = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      batch.add(lane.acquire(Priority.BATCH, 1));
    }

    assertThat(batch.stream().filter(t -> t.admitted().isDone())).hasSize(8);
    assertThat(lane.inFlight()).isEqualTo(8);
  }

  @Test
  void aSlotIsReleasedOnceAndCancelledWaitersNeverRun() {
    Lane lane = lane(1, null, null, MinShares.none());
    Lane.Ticket first = lane.acquire(Priority.STANDARD, 1);
    Lane.Ticket cancelled = lane.acquire(Priority.STANDARD, 1);
    Lane.Ticket third = lane.acquire(Priority.STANDARD, 1);

    assertThat(cancelled.cancel()).isTrue();
    first.release(1);
    first.release(1);

    assertThat(cancelled.admitted()).isNotDone();
    assertThat(third.admitted()).isDone();
    assertThat(lane.inFlight()).isEqualTo(1);
    assertThat(lane.queued(Priority.STANDARD)).isZero();
  }

  @Test
  void requestsPerMinuteHoldTheQueueUntilTheBudgetRefills() {
    Lane lane = lane(100, 60L, null, MinShares.none());
    List<Lane.Ticket> tickets = new ArrayList<>();
    for (int i = 0; i < 61; i++) {
      tickets.add(lane.acquire(Priority.STANDARD, 1));
    }

    assertThat(tickets.get(59).admitted()).isDone();
    assertThat(tickets.get(60).admitted()).isNotDone();
    clock.advance(Duration.ofSeconds(1));

    assertThat(tickets.get(60).admitted()).isDone();
  }

  @Test
  void tokensPerMinuteChargeTheEstimateAndSettleTheRealUsage() {
    Lane lane = lane(100, null, 1000L, MinShares.none());
    Lane.Ticket big = lane.acquire(Priority.STANDARD, 900);
    Lane.Ticket next = lane.acquire(Priority.STANDARD, 500);

    assertThat(big.admitted()).isDone();
    assertThat(next.admitted()).isNotDone();
    big.release(100);

    assertThat(next.admitted()).isDone();
  }

  @Test
  void shrinkingCapacityKeepsInFlightCallsAndDelaysNewOnes() {
    Lane lane = lane(4, null, null, MinShares.none());
    List<Lane.Ticket> running = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      running.add(lane.acquire(Priority.STANDARD, 1));
    }
    Lane.Ticket waiting = lane.acquire(Priority.STANDARD, 1);

    lane.resize(2, null, null);
    running.get(0).release(1);
    running.get(1).release(1);

    assertThat(waiting.admitted()).isNotDone();
    running.get(2).release(1);
    assertThat(waiting.admitted()).isDone();
    assertThat(meters.get("llm_broker_lane_in_flight").gauge().value()).isEqualTo(2.0);
  }
}
