package io.llmbroker.worker.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.config.ConfigFile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SimulatedRoutingTest {

  record Worker(RoutingConfig routing) {}

  private static RoutingConfig config(String providerExtras) {
    return ConfigFile.parse("""
        routing:
          providers:
            sim: {type: simulated, output-tokens: {min: 10, max: 10}%s}
          deployments:
            sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 4}
          aliases:
            fast: [sim-fast]
          prices:
            sim-fast-1: {input: "0.15", output: "0.60"}
        """.formatted(providerExtras), Worker.class, Map.of()).routing();
  }

  @Test
  void anAliasIsServedByTheSimulatedProviderAndPriced() throws Exception {
    try (DefaultCallRouter router = new DefaultCallRouter(config(""), Map.of(), new SimpleMeterRegistry(), Clock.systemUTC())) {

      CallOutcome outcome = router.call(Requests.request("r1", "fast", "hello there world"), Priority.INTERACTIVE, Long.MAX_VALUE)
          .get(10, TimeUnit.SECONDS);

      assertThat(outcome.error()).isEmpty();
      CallOutcome.Completion c = outcome.completion().orElseThrow();
      assertThat(c.provider()).isEqualTo("sim");
      assertThat(c.deployment()).isEqualTo("sim-fast");
      assertThat(c.model()).isEqualTo("sim-fast-1");
      assertThat(c.content()).startsWith("Echo: hello there world");
      assertThat(c.usage().getOutputTokens()).isEqualTo(10);
      long expected = Math.round((c.usage().getInputTokens() * 0.15 + 10 * 0.60));
      assertThat(c.costMicros()).isEqualTo(expected);
      assertThat(outcome.attempts()).hasSize(1);
      assertThat(outcome.attempts().get(0).getError()).isNull();
      assertThat(outcome.firstCallAt()).isPresent();
    }
  }

  @Test
  void providerSlashModelIsRefusedNamingTheRuleUnlessAllowListed() {
    try (DefaultCallRouter router = new DefaultCallRouter(config(""), Map.of(), new SimpleMeterRegistry(), Clock.systemUTC())) {

      assertThat(router.routeProblem("sim/anything-7b")).hasValueSatisfying(p -> assertThat(p)
          .contains("'sim/anything-7b' is not allowed").contains("routing.allow-implicit"));
      assertThat(router.routeProblem("fast")).isEmpty();
      assertThat(router.routeProblem("sim-fast")).isEmpty();
      assertThat(router.routeProblem("nope/x")).hasValueSatisfying(p -> assertThat(p).contains("unknown model: 'nope/x'"));
      assertThat(router.routeProblem("unknown")).isPresent();
      assertThat(router.lane("sim/anything-7b")).isNull();
    }
  }

  @Test
  void anAllowListedProviderSlashModelRoutesAndSharesTheCapOfItsDeployment() throws Exception {
    RoutingConfig config = ConfigFile.parse("""
        routing:
          providers:
            sim: {type: simulated}
          deployments:
            sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 4}
          allow-implicit: [sim/sim-fast-1, "sim/*"]
        """, Worker.class, Map.of()).routing();
    try (DefaultCallRouter router = new DefaultCallRouter(config, Map.of(), new SimpleMeterRegistry(), Clock.systemUTC())) {

      CallOutcome viaDeployment = router.call(Requests.request("r1", "sim/sim-fast-1", "hi"), Priority.STANDARD, Long.MAX_VALUE)
          .get(10, TimeUnit.SECONDS);
      CallOutcome implicit = router.call(Requests.request("r2", "sim/other-7b", "hi"), Priority.STANDARD, Long.MAX_VALUE)
          .get(10, TimeUnit.SECONDS);

      assertThat(viaDeployment.completion().orElseThrow().deployment()).isEqualTo("sim-fast");
      assertThat(router.lane("sim/sim-fast-1")).as("no second lane beside the deployment's").isNull();
      assertThat(implicit.completion().orElseThrow().deployment()).isEqualTo("sim/other-7b");
    }
  }

  @Test
  void anUnroutableModelIsACallerFaultWithoutAttempts() throws Exception {
    try (DefaultCallRouter router = new DefaultCallRouter(config(""), Map.of(), new SimpleMeterRegistry(), Clock.systemUTC())) {

      CallOutcome outcome = router.call(Requests.request("r1", "missing", "hi"), Priority.BATCH, Long.MAX_VALUE).get(5, TimeUnit.SECONDS);

      assertThat(outcome.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.CALLER_FAULT);
      assertThat(outcome.attempts()).isEmpty();
    }
  }

  @Test
  void manyZeroLatencyCallsQueuedOnOneLaneAllComplete() throws Exception {
    try (DefaultCallRouter router = new DefaultCallRouter(config(""), Map.of(), new SimpleMeterRegistry(), Clock.systemUTC())) {
      List<CompletableFuture<CallOutcome>> calls = new ArrayList<>();

      for (int i = 0; i < 20_000; i++) {
        calls.add(router.call(Requests.request("r" + i, "fast", "p " + i), Priority.BATCH, Long.MAX_VALUE));
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      assertThat(calls).allSatisfy(f -> assertThat(f.join().completion()).isPresent());
      assertThat(router.lane("sim-fast").inFlight()).isZero();
    }
  }

  @Test
  void simulatedRateLimitsAreRetriedUntilTheyPassOrClassified() throws Exception {
    try (DefaultCallRouter router = new DefaultCallRouter(config(", rate-limit-rate: 1.0, retry-after: 0ms"),
        Map.of(), new SimpleMeterRegistry(), Clock.systemUTC())) {

      CallOutcome outcome = router.call(Requests.request("r1", "fast", "hi"), Priority.STANDARD, Long.MAX_VALUE).get(10, TimeUnit.SECONDS);

      assertThat(outcome.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
      assertThat(outcome.attempts()).hasSize(3);
      assertThat(outcome.attempts()).allSatisfy(a -> assertThat(a.getHttpStatus()).isEqualTo(429));
    }
  }
}
