package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overspend bound of hard budgets, measured: three workers, the real cost aggregator and a
 * burst of concurrent requests worth about four times one small budget, on the real broker; and the
 * same without the aggregator, as if the state never arrived. The bound holds however long the
 * state lag is: each worker counts its own spend until a state
 * counts it, so what remains is the spend of one poll of states (workers one poll apart) and the input
 * estimate's error.
 */
class BudgetBoundTest {

  @TempDir Path stateDir;

  @Test
  void threeWorkersUnderConcurrentTrafficOverspendAHardBudgetByNoMoreThanOnePollOfStatesOfSpend() throws Exception {
    BudgetBoundRun.Settings settings = new BudgetBoundRun.Settings(3, 900, 20_000, 12, Duration.ofMillis(50),
        Duration.ofMillis(150), 40, Duration.ofMillis(100), true);
    String prefix = "budget-bound-" + UUID.randomUUID().toString().substring(0, 8) + ".";

    BudgetBoundRun.Result result = new BudgetBoundRun(KafkaFixture.get().bootstrapServers(), prefix, stateDir, settings).run();

    System.out.println("budget bound: " + result);
    assertThat(result.statuses().get(ResponseStatus.OK)).as("some requests were served").isPositive();
    assertThat(result.refusedBeforeAnyCall()).as("the budget refused the rest before any call").isPositive();
    assertThat(result.statuses().keySet()).containsOnly(ResponseStatus.OK, ResponseStatus.REJECTED);
    assertThat(result.overspendMicros()).as("overspend within one poll of states plus the estimate's error").isLessThanOrEqualTo(result.boundMicros());
  }

  @Test
  void withNoStateEverReachingThemThreeWorkersOverspendByNoMoreThanTheEstimatesError() throws Exception {
    BudgetBoundRun.Settings settings = new BudgetBoundRun.Settings(3, 300, 6_000, 12, Duration.ofMillis(50),
        Duration.ofMillis(150), 40, Duration.ofMillis(100), false);
    String prefix = "budget-stateless-" + UUID.randomUUID().toString().substring(0, 8) + ".";

    BudgetBoundRun.Result result = new BudgetBoundRun(KafkaFixture.get().bootstrapServers(), prefix, stateDir, settings).run();

    System.out.println("budget bound without states: " + result);
    assertThat(result.statuses().get(ResponseStatus.OK)).as("some requests were served").isPositive();
    assertThat(result.refusedBeforeAnyCall()).as("the budget refused the rest before any call").isPositive();
    assertThat(result.overspendMicros()).as("each worker counts its own spend, however late the state")
        .isLessThanOrEqualTo(result.estimateErrorMicros());
  }
}
