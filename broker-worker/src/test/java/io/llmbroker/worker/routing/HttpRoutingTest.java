package io.llmbroker.worker.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.FakeProviderServer.Api;
import io.llmbroker.testsupport.FakeReply;
import io.llmbroker.worker.limits.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpRoutingTest {

  record Worker(RoutingConfig routing) {}

  private static final String KEY = "sk-router-SECRET-abcdef123456";
  private static final Map<String, String> ENV = Map.of("OPENAI_KEY", KEY, "ANTHROPIC_KEY", KEY);

  private FakeProviderServer server;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<DefaultCallRouter> routers = new ArrayList<>();

  @BeforeEach
  void start() {
    server = FakeProviderServer.start();
  }

  @AfterEach
  void stop() {
    routers.forEach(DefaultCallRouter::close);
    server.close();
  }

  private RoutingConfig config(String retry, String cooldown, int cap) {
    return ConfigFile.parse("""
        routing:
          retry: %s
          cooldown: %s
          providers:
            openai: {type: openai, base-url: %s, api-key-env: OPENAI_KEY}
            anthropic: {type: anthropic, base-url: %s, api-key-env: ANTHROPIC_KEY}
          deployments:
            primary: {provider: openai, model: gpt-a, max-concurrency: %d}
            backup: {provider: anthropic, model: claude-b, max-concurrency: %d}
            slow: {provider: openai, model: slow-model, max-concurrency: 1}
          aliases:
            smart: [primary, backup]
            slowpoke: [slow]
          prices:
            gpt-a: {input: "1.00", output: "2.00"}
        """.formatted(retry, cooldown, server.openAiBaseUrl(), server.baseUrl(), cap, cap), Worker.class, ENV).routing();
  }

  private RoutingConfig config() {
    return config("{max-attempts: 2, initial-backoff: 1ms, max-backoff: 5s}", "{after-failures: 5, duration: 30s}", 8);
  }

  private DefaultCallRouter router(RoutingConfig config, Clock clock) {
    DefaultCallRouter r = new DefaultCallRouter(config, ENV, meters, clock);
    routers.add(r);
    return r;
  }

  private static CallOutcome call(CallRouter router, String id, String model, long deadline) throws Exception {
    return call(router, id, model, Priority.STANDARD, deadline);
  }

  private static CallOutcome call(CallRouter router, String id, String model, Priority priority, long deadline)
      throws Exception {
    return router.call(Requests.request(id, model, "hello " + id), priority, deadline).get(30, TimeUnit.SECONDS);
  }

  private static long endOf(Attempt a) {
    return a.getStartedAt() + a.getDurationMs();
  }

  private List<String> modelsCalled() {
    return server.received().stream().map(r -> r.json().path("model").asText()).toList();
  }

  @Test
  void aTransientFailureIsRetriedThenSucceeds() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(503, "server_error", null, "overloaded"),
        FakeReply.openAiOk("second time lucky", 1_000_000, 500_000, 0, 0));

    CallOutcome outcome = call(router, "r1", "smart", Long.MAX_VALUE);

    CallOutcome.Completion c = outcome.completion().orElseThrow();
    assertThat(c.content()).isEqualTo("second time lucky");
    assertThat(c.deployment()).isEqualTo("primary");
    assertThat(c.costMicros()).isEqualTo(2_000_000);
    assertThat(outcome.attempts()).extracting(Attempt::getNumber).containsExactly(1, 2);
    assertThat(outcome.attempts().get(0).getError().getErrorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(outcome.attempts().get(0).getHttpStatus()).isEqualTo(503);
    assertThat(outcome.attempts().get(1).getError()).isNull();
    assertThat(meters.get("llm_broker_retries").tag("deployment", "primary").counter().count()).isEqualTo(1.0);
  }

  @Test
  void retryableFailuresFallBackToTheNextDeploymentOfTheAlias() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "slow down"),
        FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "slow down"));

    CallOutcome outcome = call(router, "r1", "smart", Long.MAX_VALUE);

    CallOutcome.Completion c = outcome.completion().orElseThrow();
    assertThat(c.deployment()).isEqualTo("backup");
    assertThat(c.provider()).isEqualTo("anthropic");
    assertThat(outcome.attempts()).extracting(Attempt::getDeployment).containsExactly("primary", "primary", "backup");
    assertThat(meters.get("llm_broker_fallbacks").tag("from", "primary").counter().count()).isEqualTo(1.0);
  }

  @Test
  void aCallerFaultIsNeverRetriedNorFallenBack() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(400, "invalid_request_error", "context_length_exceeded", "too long"));

    CallOutcome outcome = call(router, "r1", "smart", Long.MAX_VALUE);

    assertThat(outcome.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.CALLER_FAULT);
    assertThat(outcome.error().get().getProviderCode()).isEqualTo("context_length_exceeded");
    assertThat(outcome.attempts()).hasSize(1);
    assertThat(server.received()).hasSize(1);
  }

  @Test
  void aCredentialFailureFallsBackWithoutRetryAndNeverShowsTheKey() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(401, "invalid_request_error", "invalid_api_key",
        "Incorrect API key provided: " + KEY));
    server.enqueue(Api.ANTHROPIC, FakeReply.anthropicError(401, "authentication_error", "invalid x-api-key " + KEY));

    CallOutcome outcome = call(router, "r1", "smart", Long.MAX_VALUE);

    assertThat(outcome.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.CREDENTIAL);
    assertThat(outcome.attempts()).extracting(Attempt::getDeployment).containsExactly("primary", "backup");
    assertThat(outcome.toString()).doesNotContain(KEY).doesNotContain("SECRET");
  }

  @Test
  void retryAfterIsHonouredBeforeTheNextAttempt() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "wait").header("retry-after", "1"));

    CallOutcome outcome = call(router, "r1", "smart", Long.MAX_VALUE);

    assertThat(outcome.completion()).isPresent();
    List<Attempt> attempts = outcome.attempts();
    assertThat(attempts).hasSize(2);
    long firstEnded = attempts.get(0).getStartedAt() + attempts.get(0).getDurationMs();
    assertThat(attempts.get(1).getStartedAt() - firstEnded).isGreaterThanOrEqualTo(1000);
  }

  @Test
  void aFailingDeploymentIsCooledDownThenProbedBack() throws Exception {
    MutableClock clock = new MutableClock(System.currentTimeMillis());
    DefaultCallRouter router = router(config("{max-attempts: 1, initial-backoff: 1ms}",
        "{after-failures: 2, duration: 30s}", 8), clock);
    server.enqueue(Api.OPENAI, FakeReply.openAiError(500, "server_error", null, "boom"),
        FakeReply.openAiError(500, "server_error", null, "boom"));
    call(router, "r1", "smart", Long.MAX_VALUE);
    call(router, "r2", "smart", Long.MAX_VALUE);
    server.resetStats();

    CallOutcome whileCooling = call(router, "r3", "smart", Long.MAX_VALUE);
    List<String> calledWhileCooling = modelsCalled();
    clock.advance(Duration.ofSeconds(31));
    server.resetStats();
    CallOutcome probe = call(router, "r4", "smart", Long.MAX_VALUE);
    CallOutcome afterProbe = call(router, "r5", "smart", Long.MAX_VALUE);

    assertThat(whileCooling.completion().orElseThrow().deployment()).isEqualTo("backup");
    assertThat(calledWhileCooling).containsExactly("claude-b");
    assertThat(probe.completion().orElseThrow().deployment()).isEqualTo("primary");
    assertThat(afterProbe.completion().orElseThrow().deployment()).isEqualTo("primary");
    assertThat(meters.get("llm_broker_cooldowns").tag("deployment", "primary").counter().count()).isEqualTo(1.0);
  }

  @Test
  void theDeadlineStopsFurtherAttempts() throws Exception {
    DefaultCallRouter router = router(config("{max-attempts: 5, initial-backoff: 400ms, max-backoff: 400ms}",
        "{after-failures: 50, duration: 30s}", 8), Clock.systemUTC());
    for (int i = 0; i < 10; i++) {
      server.enqueue(Api.OPENAI, FakeReply.openAiError(503, "server_error", null, "down"));
      server.enqueue(Api.ANTHROPIC, FakeReply.anthropicError(529, "overloaded_error", "Overloaded"));
    }

    long deadline = System.currentTimeMillis() + 300;

    CallOutcome outcome = call(router, "r1", "smart", deadline);

    assertThat(outcome.error()).isPresent();
    assertThat(outcome.attempts().size()).isBetween(1, 4);
    assertThat(outcome.attempts()).allSatisfy(a -> assertThat(a.getStartedAt()).isLessThan(deadline));
  }

  @Test
  void anExpiredRequestMakesNoProviderCall() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());

    CallOutcome outcome = call(router, "r1", "smart", System.currentTimeMillis() - 1);

    assertThat(outcome.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.TIMEOUT);
    assertThat(outcome.attempts()).isEmpty();
    assertThat(server.received()).isEmpty();
  }

  @Test
  void aSlowDeploymentDoesNotBlockAnotherAliasesRequests() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.latency("slow-model", Duration.ofSeconds(3));
    List<CompletableFuture<CallOutcome>> slow = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      slow.add(router.call(Requests.request("s" + i, "slowpoke", "wait"), Priority.INTERACTIVE, Long.MAX_VALUE));
    }

    CallOutcome fast = call(router, "f1", "smart", Long.MAX_VALUE);

    assertThat(fast.completion()).isPresent();
    assertThat(slow).allSatisfy(f -> assertThat(f).isNotDone());
    assertThat(router.lane("slow").queued(Priority.INTERACTIVE)).isEqualTo(4);
  }

  @Test
  void aRequestWhoseDeadlinePassesWhileQueuedLeavesTheLaneWithoutACall() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.latency("slow-model", Duration.ofSeconds(2));
    CompletableFuture<CallOutcome> holder = router.call(Requests.request("s0", "slowpoke", "hold"), Priority.STANDARD, Long.MAX_VALUE);

    CallOutcome queued = call(router, "s1", "slowpoke", System.currentTimeMillis() + 200);

    assertThat(queued.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.TIMEOUT);
    assertThat(queued.error().get().getMessage()).contains("before a provider call");
    assertThat(queued.attempts()).isEmpty();
    assertThat(router.lane("slow").queued(Priority.STANDARD)).isZero();
    assertThat(holder.get(10, TimeUnit.SECONDS).completion()).isPresent();
    assertThat(server.received()).hasSize(1);
  }

  @Test
  void threeWorkersSharingTheCapNeverExceedItTogetherAndUseAllOfIt() throws Exception {
    RoutingConfig config = config("{max-attempts: 1, initial-backoff: 1ms}", "{after-failures: 5, duration: 30s}", 6);
    server.latency("gpt-a", Duration.ofMillis(300));
    List<CompletableFuture<CallOutcome>> calls = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      DefaultCallRouter router = router(config, Clock.systemUTC());
      router.assign(Set.of(2 * w, 2 * w + 1), 6);
      assertThat(router.lane("primary").capacity()).isEqualTo(2);
      for (int i = 0; i < 12; i++) {
        calls.add(router.call(Requests.request("w" + w + "-" + i, "smart", "x"), Priority.BATCH, Long.MAX_VALUE));
      }
    }

    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertThat(calls).allSatisfy(f -> assertThat(f.join().completion()).isPresent());
    assertThat(server.maxConcurrency()).isEqualTo(6);
  }

  @Test
  void beforeTheFirstAssignmentALaneHasItsFullCap() {
    DefaultCallRouter router = router(config(), Clock.systemUTC());

    assertThat(router.lane("primary").capacity()).isEqualTo(8);
    router.assign(Set.of(0), 3);
    assertThat(router.lane("primary").capacity()).isEqualTo(2);
  }

  @Test
  void aMissingKeyVariableFailsAtStartNamingTheKey() {
    RoutingConfig config = config();

    assertThatThrownBy(() -> new DefaultCallRouter(config, Map.of("OPENAI_KEY", KEY), meters, Clock.systemUTC()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routing.providers.anthropic.api-key-env")
        .hasMessageContaining("ANTHROPIC_KEY");
  }

  @Test
  void aWithdrawnRequestLeavesItsLaneWithoutAProviderCall() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.latency("slow-model", Duration.ofMillis(500));
    CompletableFuture<CallOutcome> holdingTheSlot =
        router.call(Requests.request("r1", "slowpoke", "first"), Priority.STANDARD, Long.MAX_VALUE);
    CompletableFuture<CallOutcome> queued =
        router.call(Requests.request("r2", "slowpoke", "second"), Priority.STANDARD, Long.MAX_VALUE);

    queued.cancel(false);
    CallOutcome first = holdingTheSlot.get(30, TimeUnit.SECONDS);
    CallOutcome afterwards = call(router, "r3", "slowpoke", Long.MAX_VALUE);

    assertThat(first.completion()).isPresent();
    assertThat(afterwards.completion()).as("the withdrawn request gave its queue place back").isPresent();
    assertThat(server.received()).extracting(r -> r.json().path("messages").get(0).path("content").asText())
        .containsExactly("first", "hello r3");
  }

  @Test
  void aRequestWhoseAnswerIsSettlingIsNotWithdrawnSoTheCallIsNotPaidTwice() throws Exception {
    GatedClock clock = new GatedClock();
    DefaultCallRouter router = router(config(), clock);
    server.latency("slow-model", Duration.ofMillis(300));
    CompletableFuture<CallOutcome> call =
        router.call(Requests.request("r1", "slowpoke", "answered"), Priority.STANDARD, Long.MAX_VALUE);
    Awaitility.await("the call at the provider").atMost(Duration.ofSeconds(10)).until(() -> server.inFlight() == 1);
    clock.holdNextReaderOtherThan(Thread.currentThread());
    Awaitility.await("the answer settling").atMost(Duration.ofSeconds(10)).until(clock::holding);

    boolean withdrawn = router.withdraw(call);
    clock.release();

    assertThat(withdrawn).as("withdrawn while its answer settles").isFalse();
    assertThat(call.get(30, TimeUnit.SECONDS).completion()).as("the paid answer is used").isPresent();
  }

  /** The system clock, except that one reader can be held at its next read: a point inside the router's settling of an answer. */
  private static final class GatedClock extends Clock {
    private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Thread free;
    private volatile boolean holding;

    void holdNextReaderOtherThan(Thread thread) {
      free = thread;
      armed.set(true);
    }

    boolean holding() {
      return holding;
    }

    void release() {
      released.countDown();
    }

    @Override
    public long millis() {
      if (Thread.currentThread() != free && armed.compareAndSet(true, false)) {
        holding = true;
        try {
          released.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return System.currentTimeMillis();
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis());
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void aProbeWithdrawnWhileQueuedLetsTheNextRequestProbe() throws Exception {
    MutableClock clock = new MutableClock(System.currentTimeMillis());
    DefaultCallRouter router = router(config("{max-attempts: 1, initial-backoff: 1ms}",
        "{after-failures: 1, duration: 30s}", 8), clock);
    server.enqueue(Api.OPENAI, FakeReply.openAiError(500, "server_error", null, "boom"));
    call(router, "r1", "slowpoke", Long.MAX_VALUE);
    clock.advance(Duration.ofSeconds(31));
    router.assign(Set.of(0), 2);
    CompletableFuture<CallOutcome> probe =
        router.call(Requests.request("r2", "slowpoke", "probe"), Priority.STANDARD, Long.MAX_VALUE);
    assertThat(router.lane("slow").queued(Priority.STANDARD)).as("the probe waits: this worker owns no slot").isEqualTo(1);

    probe.cancel(false);
    router.assign(Set.of(0, 1), 2);
    CallOutcome next = call(router, "r3", "slowpoke", Long.MAX_VALUE);

    assertThat(next.completion().orElseThrow().deployment()).isEqualTo("slow");
  }

  @Test
  void aCredentialFailureCoolsTheDeploymentAtOnce() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(401, "invalid_request_error", "invalid_api_key", "bad key"));
    call(router, "r1", "smart", Long.MAX_VALUE);
    server.resetStats();

    CallOutcome next = call(router, "r2", "smart", Long.MAX_VALUE);

    assertThat(next.completion().orElseThrow().deployment()).isEqualTo("backup");
    assertThat(modelsCalled()).containsExactly("claude-b");
    assertThat(meters.get("llm_broker_cooldowns").tag("deployment", "primary").counter().count()).isEqualTo(1.0);
  }

  @Test
  void aRetryAfterHoldsTheDeploymentForEveryRequestOfTheWorker() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "wait").header("retry-after", "1"));
    CompletableFuture<CallOutcome> first =
        router.call(Requests.request("r1", "primary", "first"), Priority.STANDARD, Long.MAX_VALUE);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> router.lane("primary").heldFor() > 0);

    CallOutcome other = call(router, "r2", "primary", Long.MAX_VALUE);

    Attempt limited = first.get(30, TimeUnit.SECONDS).attempts().get(0);
    assertThat(other.completion()).isPresent();
    assertThat(other.attempts()).hasSize(1);
    assertThat(other.attempts().get(0).getStartedAt()).isGreaterThanOrEqualTo(endOf(limited) + 1000);
  }

  @Test
  void anInteractiveRequestFallsBackFromALongRetryAfterAndLaterOnesSkipTheDeployment() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "wait").header("retry-after", "60"));

    CallOutcome first = call(router, "r1", "smart", Priority.INTERACTIVE, Long.MAX_VALUE);
    server.resetStats();
    CallOutcome later = call(router, "r2", "smart", Priority.STANDARD, Long.MAX_VALUE);

    assertThat(first.attempts()).extracting(Attempt::getDeployment).containsExactly("primary", "backup");
    assertThat(later.completion().orElseThrow().deployment()).isEqualTo("backup");
    assertThat(modelsCalled()).containsExactly("claude-b");
  }

  @Test
  void anInteractiveRequestWithNoFallbackFailsRateLimitedNamingTheWait() throws Exception {
    DefaultCallRouter router = router(config(), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "wait").header("retry-after", "60"));

    CallOutcome outcome = call(router, "r1", "primary", Priority.INTERACTIVE, Long.MAX_VALUE);

    assertThat(outcome.error().orElseThrow().getErrorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
    assertThat(outcome.error().get().getMessage()).contains("'primary'").contains("Retry-After").contains("max-backoff");
    assertThat(outcome.error().get().getMessage()).containsPattern("wait another (5\\d{4}|60000) ms");
    assertThat(outcome.attempts()).hasSize(1);
  }

  @Test
  void aBatchRequestWaitsOutARetryAfterLongerThanMaxBackoffWithinItsDeadline() throws Exception {
    DefaultCallRouter router = router(config("{max-attempts: 2, initial-backoff: 1ms, max-backoff: 500ms}",
        "{after-failures: 5, duration: 30s}", 8), Clock.systemUTC());
    server.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "wait").header("retry-after", "2"));

    CallOutcome outcome = call(router, "r1", "smart", Priority.BATCH, System.currentTimeMillis() + 20_000);

    assertThat(outcome.completion().orElseThrow().deployment()).isEqualTo("primary");
    assertThat(outcome.attempts()).hasSize(2);
    assertThat(outcome.attempts().get(1).getStartedAt()).isGreaterThanOrEqualTo(endOf(outcome.attempts().get(0)) + 2000);
  }

  @Test
  void aDeploymentWhoseRateShareRoundsToZeroIsSkippedNotUnlimited() throws Exception {
    RoutingConfig config = ConfigFile.parse("""
        routing:
          providers:
            openai: {type: openai, base-url: %s, api-key-env: OPENAI_KEY}
            anthropic: {type: anthropic, base-url: %s, api-key-env: ANTHROPIC_KEY}
          deployments:
            primary: {provider: openai, model: gpt-a, max-concurrency: 8, rpm: 1}
            backup: {provider: anthropic, model: claude-b, max-concurrency: 8}
          aliases:
            smart: [primary, backup]
        """.formatted(server.openAiBaseUrl(), server.baseUrl()), Worker.class, ENV).routing();
    DefaultCallRouter router = router(config, Clock.systemUTC());
    router.assign(Set.of(0), 2);

    CallOutcome outcome = call(router, "r1", "smart", Long.MAX_VALUE);

    assertThat(router.lane("primary").capacity()).isEqualTo(4);
    assertThat(outcome.completion().orElseThrow().deployment()).isEqualTo("backup");
    assertThat(modelsCalled()).containsExactly("claude-b");
  }
}
