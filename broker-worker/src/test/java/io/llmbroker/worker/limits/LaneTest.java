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
  void requestsPerMinuteHoldTheQueueUntilTheWindowHasRoom() {
    Lane lane = lane(100, 60L, null, MinShares.none());
    List<Lane.Ticket> tickets = new ArrayList<>();
    for (int i = 0; i < 61; i++) {
      tickets.add(lane.acquire(Priority.STANDARD, 1));
    }

    assertThat(tickets.get(59).admitted()).isDone();
    assertThat(tickets.get(60).admitted()).isNotDone();
    clock.advance(Duration.ofSeconds(59));
    assertThat(tickets.get(60).admitted()).isNotDone();
    clock.advance(Duration.ofSeconds(2));

    assertThat(tickets.get(60).admitted()).isDone();
  }

  @Test
  void aFullBudgetNeverAdmitsMoreThanTheRateInAnySixtySecondWindow() {
    Lane lane = lane(1000, 60L, null, MinShares.none());
    List<Long> admittedAt = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      lane.acquire(Priority.BATCH, 1).admitted().thenRun(() -> admittedAt.add(clock.millis()));
    }

    for (int second = 0; second < 180; second++) {
      clock.advance(Duration.ofSeconds(1));
    }

    assertThat(admittedAt).hasSizeGreaterThanOrEqualTo(150);
    for (long end : admittedAt) {
      assertThat(admittedAt.stream().filter(t -> t > end - 60_000 && t <= end).count())
          .as("admissions in the 60 s up to %d", end).isLessThanOrEqualTo(60);
    }
  }

  @Test
  void aRateShareThatRoundedToZeroAdmitsNothing() {
    Lane byRequests = lane(4, 100L, null, MinShares.none());
    Lane byTokens = new Lane("d2", 4, null, 100_000L, MinShares.none(), clock, clock, meters);
    byRequests.resize(4, 0L, null);
    byTokens.resize(4, null, 0L);

    Lane.Ticket request = byRequests.acquire(Priority.INTERACTIVE, 1);
    Lane.Ticket tokens = byTokens.acquire(Priority.INTERACTIVE, 1);
    clock.advance(Duration.ofMinutes(5));

    assertThat(request.admitted()).isNotDone();
    assertThat(tokens.admitted()).isNotDone();
    assertThat(byRequests.hasShare()).isFalse();
    assertThat(byTokens.hasShare()).isFalse();
    byRequests.resize(4, 10L, null);
    assertThat(request.admitted()).isDone();
  }

  @Test
  void anInteractiveRequestNeverWaitsBehindALargeBatchRequestWaitingForTokens() {
    Lane lane = lane(10, null, 1000L, new MinShares(0, 0, 1.0));
    lane.acquire(Priority.STANDARD, 800);
    Lane.Ticket largeBatch = lane.acquire(Priority.BATCH, 900);
    lane.acquire(Priority.STANDARD, 10);

    Lane.Ticket interactive = lane.acquire(Priority.INTERACTIVE, 10);

    assertThat(interactive.admitted()).as("admitted while the batch request waits for budget").isDone();
    assertThat(largeBatch.admitted()).isNotDone();
    clock.advance(Duration.ofSeconds(61));
    assertThat(largeBatch.admitted()).isDone();
  }

  @Test
  void aLowerClassNeverPassesAHigherOneWaitingForTokens() {
    Lane lane = lane(10, null, 1000L, MinShares.none());
    lane.acquire(Priority.STANDARD, 800);
    Lane.Ticket largeInteractive = lane.acquire(Priority.INTERACTIVE, 900);

    Lane.Ticket smallBatch = lane.acquire(Priority.BATCH, 10);

    assertThat(largeInteractive.admitted()).isNotDone();
    assertThat(smallBatch.admitted()).isNotDone();
    clock.advance(Duration.ofSeconds(61));
    assertThat(largeInteractive.admitted()).isDone();
    assertThat(smallBatch.admitted()).isDone();
  }

  @Test
  void aHeldLaneAdmitsNothingUntilTheHoldEnds() {
    Lane lane = lane(4, null, null, MinShares.none());
    lane.holdUntil(clock.millis() + 5_000);

    Lane.Ticket ticket = lane.acquire(Priority.INTERACTIVE, 1);

    assertThat(lane.heldFor()).isEqualTo(5_000);
    clock.advance(Duration.ofMillis(4_999));
    assertThat(ticket.admitted()).isNotDone();
    clock.advance(Duration.ofMillis(1));
    assertThat(ticket.admitted()).isDone();
    assertThat(lane.heldFor()).isZero();
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
  void shrinkingCapacityAdmitsNothingUntilInFlightIsBelowTheNewCap() {
    Lane lane = lane(4, null, null, MinShares.none());
    List<Lane.Ticket> running = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      running.add(lane.acquire(Priority.STANDARD, 1));
    }
    List<Integer> inFlightAtAdmission = new ArrayList<>();
    List<Lane.Ticket> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Lane.Ticket t = lane.acquire(Priority.STANDARD, 1);
      t.admitted().thenRun(() -> inFlightAtAdmission.add(lane.inFlight()));
      waiting.add(t);
    }

    lane.resize(2, null, null);
    for (Lane.Ticket t : running) {
      t.release(1);
      assertThat(lane.inFlight()).isLessThanOrEqualTo(Math.max(2, 4 - running.indexOf(t) - 1));
    }

    assertThat(inFlightAtAdmission).hasSize(2).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2));
    assertThat(waiting.get(2).admitted()).isNotDone();
    assertThat(meters.get("llm_broker_lane_in_flight").gauge().value()).isEqualTo(2.0);
  }
}
