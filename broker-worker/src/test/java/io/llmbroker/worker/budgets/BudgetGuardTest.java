package io.llmbroker.worker.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.worker.limits.MutableClock;
import io.llmbroker.worker.pricing.PriceTable;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BudgetGuardTest {

  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final long DAY_START = Instant.parse("2026-11-23T00:00:00Z").toEpochMilli();
  private static final long DAY_END = Instant.parse("2026-11-24T00:00:00Z").toEpochMilli();

  private final MutableClock clock = new MutableClock(NOON.toEpochMilli());
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  // $1 per million input and output tokens: a request's maximum is its prompt tokens plus max_tokens, in micros.
  private final PriceTable prices = new PriceTable(Map.of("m-1", PriceTable.Price.ofUsdPerMillion("1", "1", "1")), meters);

  @Test
  void refusesAnExhaustedHardBudgetNamingSpendLimitAndReset() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), Map.of("search-daily", state(1_000)));

    BudgetGuard.Verdict verdict = guard.check(request("search", 10));

    assertThat(verdict).isInstanceOf(BudgetGuard.Refuse.class);
    assertThat(((BudgetGuard.Refuse) verdict).reason())
        .contains("budget 'search-daily'", "team 'search'", "is exhausted", "spent $0.001000 of limit $0.001000",
            "resets at 2026-11-24T00:00:00Z", "(rule: budget)");
  }

  @Test
  void reservesEachAdmittedRequestsMaximumUntilItIsReleased() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), Map.of());
    LlmRequest request = request("search", 400);
    long maximum = guard.maxCostMicros(request, List.of("m-1"));

    BudgetGuard.Verdict first = guard.check(request);
    BudgetGuard.Verdict second = guard.check(request);
    BudgetGuard.Verdict third = guard.check(request);

    assertThat(maximum).isBetween(401L, 500L);
    assertThat(first).isInstanceOf(BudgetGuard.Admit.class);
    assertThat(second).isInstanceOf(BudgetGuard.Admit.class);
    assertThat(third).isInstanceOf(BudgetGuard.Refuse.class);
    assertThat(((BudgetGuard.Refuse) third).reason()).contains("has no room for this request");

    ((BudgetGuard.Admit) first).reservation().release();
    ((BudgetGuard.Admit) first).reservation().release();

    assertThat(guard.check(request)).isInstanceOf(BudgetGuard.Admit.class);
    assertThat(guard.check(request)).isInstanceOf(BudgetGuard.Refuse.class);
  }

  @Test
  void publishedSpendCountsAgainstTheWorkerUntilTheStateCountsItsUsageOffset() {
    Map<String, BudgetState> states = new HashMap<>();
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), states);
    BudgetGuard.Reservation admitted = ((BudgetGuard.Admit) guard.check(request("search", 400))).reservation();

    admitted.settle(usage("search", 600), 2, 7);
    admitted.release();

    assertThat(heldAccordingToRefusal(guard)).isEqualTo("$0.000600");
    states.put("search-daily", counting(0, Map.of("2", 6L, "0", 9L)));
    assertThat(heldAccordingToRefusal(guard)).as("a state up to an earlier offset of partition 2").isEqualTo("$0.000600");
    states.put("search-daily", counting(600, Map.of("2", 7L)));
    assertThat(heldAccordingToRefusal(guard)).as("the state counts it").isEqualTo("$0.000000");
    assertThat(guard.check(request("search", 300))).isInstanceOf(BudgetGuard.Admit.class);
  }

  @Test
  void publishedSpendOfAnEndedPeriodNoLongerCounts() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), Map.of());
    ((BudgetGuard.Admit) guard.check(request("search", 400))).reservation().settle(usage("search", 600), 0, 1);
    assertThat(heldAccordingToRefusal(guard)).isEqualTo("$0.000600");

    clock.advance(Duration.ofHours(12));

    assertThat(heldAccordingToRefusal(guard)).isEqualTo("$0.000000");
  }

  @Test
  void publishedSpendTheBudgetDoesNotCountIsNotHeld() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), Map.of());

    ((BudgetGuard.Admit) guard.check(request("search", 400))).reservation().settle(usage("ads", 600), 0, 1);

    assertThat(heldAccordingToRefusal(guard)).isEqualTo("$0.000000");
  }

  @Test
  void eachWorkerReservesOnlyTheShareOfTheRoomItsPartitionsHold() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 3_000)), Map.of("search-daily", state(1_800)));
    LlmRequest request = request("search", 300);

    guard.assign(java.util.Set.of(0), 3);

    assertThat(guard.check(request)).isInstanceOf(BudgetGuard.Admit.class);
    BudgetGuard.Verdict second = guard.check(request);
    assertThat(second).isInstanceOf(BudgetGuard.Refuse.class);
    assertThat(((BudgetGuard.Refuse) second).reason()).contains("this worker's share $0.000400 of what is left");
  }

  @Test
  void aNewPeriodStartsAtZeroBeforeTheAggregatorsStateArrives() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), Map.of("search-daily", state(1_000)));
    assertThat(guard.check(request("search", 10))).isInstanceOf(BudgetGuard.Refuse.class);

    clock.advance(Duration.ofHours(12));

    assertThat(guard.check(request("search", 10))).isInstanceOf(BudgetGuard.Admit.class);
  }

  @Test
  void softBudgetsAndOtherTeamsBudgetsRefuseNothing() {
    Budget soft = Budget.newBuilder(hard("soft", 1)).setMode(BudgetMode.SOFT).build();
    BudgetGuard guard = guard(List.of(soft, hard("ads-daily", 1, BudgetScope.newBuilder().setTeam("ads").build())),
        Map.of("soft", state(5), "ads-daily", state(5)));

    assertThat(guard.check(request("search", 10))).isInstanceOf(BudgetGuard.Admit.class);
  }

  @Test
  void replayedRequestsPassABudgetThatExcludesReplays() {
    BudgetGuard guard = guard(List.of(hard("search-daily", 1_000)), Map.of("search-daily", state(1_000)));
    LlmRequest replayed = request("search", 10);
    replayed.setTags(Map.of("llm.replay", "run-1"));

    assertThat(guard.check(replayed)).isInstanceOf(BudgetGuard.Admit.class);
  }

  @Test
  void aBudgetOnAModelCoversRequestsThatMayBeServedByIt() {
    Budget onModel = hard("m1-daily", 1_000, BudgetScope.newBuilder().setTeam("search").setModel("m-1").build());
    BudgetGuard guard = guard(List.of(onModel), Map.of("m1-daily", state(1_000)));

    assertThat(guard.check(request("search", 10))).isInstanceOf(BudgetGuard.Refuse.class);
  }

  /** {@code states} may change between checks. */
  private BudgetGuard guard(List<Budget> budgets, Map<String, BudgetState> states) {
    BudgetView view = new BudgetView() {
      @Override
      public Collection<Budget> budgets() {
        return budgets;
      }

      @Override
      public Optional<BudgetState> state(String budgetId) {
        return Optional.ofNullable(states.get(budgetId));
      }
    };
    // Requests name the alias "fast", served by model m-1.
    return new BudgetGuard(view, model -> List.of("m-1"), prices, 4096, clock, meters);
  }

  /** What this worker holds against search-daily, as the refusal of a request above any limit says. */
  private static String heldAccordingToRefusal(BudgetGuard guard) {
    String reason = ((BudgetGuard.Refuse) guard.check(request("search", 1_000_000))).reason();
    return reason.replaceAll(".* plus (\\$[0-9.]+) reserved or spent by this worker.*|.*", "$1");
  }

  private static UsageEvent usage(String team, long costMicros) {
    return UsageEvent.newBuilder().setRequestId("r").setTeam(team).setApp("ranker").setProvider("p").setModel("m-1")
        .setStatus(ResponseStatus.OK).setUsage(TokenUsage.newBuilder().setInputTokens(1).setOutputTokens(1).build())
        .setCostMicros(costMicros)
        .setOccurredAt(NOON.toEpochMilli()).build();
  }

  private static BudgetState counting(long spentMicros, Map<String, Long> countedUsageOffsets) {
    return BudgetState.newBuilder(state(spentMicros)).setCountedUsageOffsets(countedUsageOffsets).build();
  }

  private static Budget hard(String id, long limitMicros) {
    return hard(id, limitMicros, BudgetScope.newBuilder().setTeam("search").build());
  }

  private static Budget hard(String id, long limitMicros, BudgetScope scope) {
    return Budget.newBuilder().setId(id).setScope(scope).setPeriod(BudgetPeriod.DAY).setLimitMicros(limitMicros)
        .setMode(BudgetMode.HARD).build();
  }

  private static BudgetState state(long spentMicros) {
    return BudgetState.newBuilder().setBudgetId("any").setPeriodStart(DAY_START).setPeriodEnd(DAY_END)
        .setSpentMicros(spentMicros).build();
  }

  private static LlmRequest request(String team, int maxTokens) {
    return LlmRequest.newBuilder().setId("r").setTeam(team).setApp("ranker").setModel("fast")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText("hello").build())).build()))
        .setParams(GenerationParams.newBuilder().setMaxTokens(maxTokens).build())
        .setReplyTo("svc").setCreatedAt(0L).build();
  }
}
