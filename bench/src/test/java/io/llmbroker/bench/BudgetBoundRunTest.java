package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class BudgetBoundRunTest {

  @Test
  void theStateLagIsTheLongestWaitOfACallForAStateCoveringEverythingThatEndedByThen() {
    List<UsageEvent> used = List.of(usage("a", 100, 1_000), usage("b", 50, 1_100), usage("c", 25, 2_000));
    List<BudgetBoundRun.Timed<BudgetState>> states = List.of(state(100, 1_300), state(150, 1_900), state(175, 2_100));

    long lag = BudgetBoundRun.stateLagMillis(used, states);

    assertThat(lag).isEqualTo(800);
  }

  @Test
  void theLagSpendIsTheLargestSpendEndingWithinOneWindow() {
    List<UsageEvent> used = List.of(usage("a", 100, 1_000), usage("b", 50, 1_100), usage("c", 25, 2_000),
        usage("d", 70, 2_050));

    assertThat(BudgetBoundRun.maxSpendWithin(used, 200)).isEqualTo(150);
    assertThat(BudgetBoundRun.maxSpendWithin(used, 1_001)).isEqualTo(175);
    assertThat(BudgetBoundRun.maxSpendWithin(used, 1_051)).isEqualTo(245);
  }

  @Test
  void theStateStepIsTheMostSpendTheStatesOfOnePollAdded() {
    List<BudgetBoundRun.Timed<BudgetState>> states = List.of(state(100, 1_300), state(150, 1_900), state(300, 2_100),
        state(400, 2_100), state(450, 2_500));

    assertThat(BudgetBoundRun.maxStateStep(states)).isEqualTo(250);
  }

  private static UsageEvent usage(String id, long cost, long endedAt) {
    return UsageEvent.newBuilder().setRequestId(id).setTeam("t").setApp("a").setProvider("p").setModel("m")
        .setStatus(ResponseStatus.OK).setCostMicros(cost).setOccurredAt(endedAt).build();
  }

  private static BudgetBoundRun.Timed<BudgetState> state(long spent, long receivedAt) {
    return new BudgetBoundRun.Timed<>(BudgetState.newBuilder().setBudgetId("b").setPeriodStart(0).setPeriodEnd(1)
        .setSpentMicros(spent).build(), receivedAt);
  }
}
