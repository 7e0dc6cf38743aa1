package io.llmbroker.worker.providers.simulated;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.worker.providers.CallFixtures;
import io.llmbroker.worker.providers.ProviderCall;
import io.llmbroker.worker.providers.ProviderException;
import io.llmbroker.worker.providers.ProviderReply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SimulatedProviderTest {

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private SimulatedProvider provider(Duration min, Duration max, double errors, double limits, long seed) {
    return new SimulatedProvider("sim", new SimulatedProvider.Settings(min, max, 5, 50, errors, limits,
        Duration.ofMillis(750), seed), scheduler);
  }

  private static ProviderCall call(String id, int attempt) {
    LlmRequest request = LlmRequest.newBuilder(CallFixtures.simple("the quick brown fox " + id)).setId(id).build();
    return new ProviderCall(request, "sim-1", Duration.ofSeconds(5), attempt);
  }

  @Test
  void zeroLatencyAnswersOnTheCallersThreadWithAnEchoOfThePrompt() {
    SimulatedProvider sim = provider(Duration.ZERO, Duration.ZERO, 0, 0, 1);

    CompletableFuture<ProviderReply> reply = sim.send(call("a", 1));

    assertThat(reply).isDone();
    ProviderReply r = reply.join();
    assertThat(r.content()).startsWith("Echo: the quick brown fox");
    assertThat(r.usage().getOutputTokens()).isBetween(5, 50);
    assertThat(r.usage().getInputTokens()).isPositive();
  }

  @Test
  void theSameSeedRequestAndAttemptGiveTheSameAnswer() {
    SimulatedProvider one = provider(Duration.ZERO, Duration.ZERO, 0.3, 0.3, 42);
    SimulatedProvider two = provider(Duration.ZERO, Duration.ZERO, 0.3, 0.3, 42);

    for (int i = 0; i < 50; i++) {
      CompletableFuture<ProviderReply> a = one.send(call("r" + i, 1));
      CompletableFuture<ProviderReply> b = two.send(call("r" + i, 1));

      assertThat(a.isCompletedExceptionally()).isEqualTo(b.isCompletedExceptionally());
      if (!a.isCompletedExceptionally()) {
        assertThat(a.join()).isEqualTo(b.join());
      }
    }
  }

  @Test
  void errorAndRateLimitRatesAreHonouredAndRateLimitsCarryRetryAfter() {
    SimulatedProvider sim = provider(Duration.ZERO, Duration.ZERO, 0.1, 0.2, 7);
    int transientErrors = 0;
    int rateLimits = 0;

    for (int i = 0; i < 5000; i++) {
      CompletableFuture<ProviderReply> f = sim.send(call("r" + i, 1));
      if (f.isCompletedExceptionally()) {
        ProviderException e = ProviderException.of(f.handle((r, t) -> t).join());
        if (e.errorClass() == ErrorClass.RATE_LIMITED) {
          rateLimits++;
          assertThat(e.retryAfter()).contains(Duration.ofMillis(750));
        } else {
          transientErrors++;
          assertThat(e.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
        }
      }
    }

    assertThat(transientErrors).isBetween(400, 600);
    assertThat(rateLimits).isBetween(850, 1150);
  }

  @Test
  void latencyIsWaitedOnTheSchedulerNotTheCaller() throws Exception {
    SimulatedProvider sim = provider(Duration.ofMillis(50), Duration.ofMillis(80), 0, 0, 3);

    CompletableFuture<ProviderReply> reply = sim.send(call("slow", 1));

    assertThat(reply).isNotDone();
    assertThat(reply.get(5, java.util.concurrent.TimeUnit.SECONDS).finishReason()).isEqualTo("stop");
  }
}
