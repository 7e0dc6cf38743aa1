package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.providers.UsageEstimator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hard budgets on the worker, end to end on the real broker and real HTTP. */
class BudgetRefusalTest {

  private final WorkerTestKit kit = new WorkerTestKit(3);
  private final FakeProviderServer provider = FakeProviderServer.start();
  private final KafkaProducer<byte[], byte[]> producer =
      new KafkaProducer<>(KafkaFixture.get().clientProperties(), new ByteArraySerializer(), new ByteArraySerializer());

  @AfterEach
  void close() {
    kit.close();
    producer.close(Duration.ofSeconds(5));
    provider.close();
  }

  @Test
  void aRequestUnderAnExhaustedHardBudgetIsRejectedBeforeAnyProviderCallAndOthersAreServed() {
    long now = System.currentTimeMillis();
    BudgetRules.Window today = BudgetRules.window(BudgetPeriod.DAY, now);
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), BudgetMode.HARD, 5_000));
    setBudget(budget("ads-soft", BudgetScope.newBuilder().setTeam("ads").build(), BudgetMode.SOFT, 5_000));
    setBudget(budget("billing-daily", BudgetScope.newBuilder().setTeam("billing").build(), BudgetMode.HARD, 5_000));
    setState(state("search-daily", today, 5_000));
    setState(state("ads-soft", today, 9_000));
    // billing's spend is of yesterday: today starts at zero by the worker's clock.
    setState(state("billing-daily", BudgetRules.window(BudgetPeriod.DAY, today.start() - 1), 9_000));
    putBudgetRaw("broken", "not a budget".getBytes(StandardCharsets.UTF_8));
    WorkerService worker = kit.start(kit.config("", Map.of(), WorkerTestKit.fakeRouting(provider, 4)), WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("svc"));
    var audit = kit.probe(kit.topics.audit());

    kit.submit(Priority.STANDARD, request("over").setParams(GenerationParams.newBuilder().setMaxTokens(50).build()).build());
    kit.submit(Priority.STANDARD, request("soft").setTeam("ads").build());
    kit.submit(Priority.STANDARD, request("new-day").setTeam("billing").build());
    kit.submit(Priority.STANDARD, request("replayed").setTags(Map.of("llm.replay", "run-1")).build());

    Map<String, LlmResponse> answered = responses.awaitKeys(List.of("over", "soft", "new-day", "replayed"), WAIT);
    LlmResponse over = answered.get("over");
    assertThat(over.getStatus()).isEqualTo(ResponseStatus.REJECTED);
    assertThat(over.getAttempts()).isZero();
    assertThat(over.getError().getErrorClass()).isEqualTo(ErrorClass.QUOTA);
    assertThat(over.getError().getMessage()).contains("budget 'search-daily'", "spent $0.005000", "limit $0.005000",
        "resets at " + Instant.ofEpochMilli(today.end()), "(rule: budget)");
    assertThat(answered.get("soft").getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(answered.get("new-day").getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(answered.get("replayed").getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(provider.received()).hasSize(3);
    Map<String, AuditRecord> audited = audit.awaitKeys(List.of("over"), WAIT);
    assertThat(audited.get("over").getResponse().getStatus()).isEqualTo(ResponseStatus.REJECTED);
    assertThat(metrics(worker)).contains("llm_broker_worker_budgets_unreadable 1.0")
        .contains("llm_broker_worker_budget_refusals_total{budget=\"search-daily\"} 1.0");
  }

  @Test
  void aBudgetExhaustedWhileTheWorkerRunsRefusesWithinSecondsAndAMalformedStateKeepsTheLast() {
    long now = System.currentTimeMillis();
    BudgetRules.Window today = BudgetRules.window(BudgetPeriod.DAY, now);
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), BudgetMode.HARD, 5_000));
    kit.start(kit.config("", Map.of(), WorkerTestKit.fakeRouting(provider, 4)), WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("svc"));
    kit.submit(Priority.STANDARD, request("before").build());
    assertThat(responses.awaitKeys(List.of("before"), WAIT).get("before").getStatus()).isEqualTo(ResponseStatus.OK);

    setState(state("search-daily", today, 5_000));
    putRaw(kit.topics.budgetState().name(), "search-daily", "not a state".getBytes(StandardCharsets.UTF_8));
    long exhaustedAt = System.currentTimeMillis();
    String refused = null;
    for (int i = 0; refused == null; i++) {
      String id = "after-" + i;
      kit.submit(Priority.STANDARD, request(id).build());
      if (responses.awaitKeys(List.of(id), WAIT).get(id).getStatus() == ResponseStatus.REJECTED) {
        refused = id;
      }
      assertThat(System.currentTimeMillis() - exhaustedAt).as("exhaustion not applied yet").isLessThan(5_000);
    }

    kit.submit(Priority.STANDARD, request("later").build());
    assertThat(responses.awaitKeys(List.of("later"), WAIT).get("later").getStatus()).isEqualTo(ResponseStatus.REJECTED);
  }

  @Test
  void spendThisWorkerPublishedCountsAgainstTheBudgetUntilTheStateCountsItsUsageOffset() {
    BudgetRules.Window today = BudgetRules.window(BudgetPeriod.DAY, System.currentTimeMillis());
    // $0.001 a token; the fake provider reports 12 prompt and 7 completion tokens per call.
    long firstCost = 19 * 1_000;
    LlmRequest second = request("second").setParams(GenerationParams.newBuilder().setMaxTokens(7).build()).build();
    long secondMax = (UsageEstimator.promptTokens(second, "gpt-4o-mini") + 7) * 1_000L;
    // Room for the second call's maximum, but not once the first call's spend is counted too.
    long limit = firstCost + secondMax - 1;
    setBudget(budget("search-daily", BudgetScope.newBuilder().setTeam("search").build(), BudgetMode.HARD, limit));
    kit.start(kit.config("", Map.of(), WorkerTestKit.fakeRouting(provider, 4).replace("\"0.15\"", "\"1000\"")
        .replace("\"0.60\"", "\"1000\"")), WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("svc"));
    var usage = kit.probe(kit.topics.usage());
    kit.submit(Priority.STANDARD, request("first1").setParams(GenerationParams.newBuilder().setMaxTokens(7).build()).build());
    assertThat(responses.awaitKeys(List.of("first1"), WAIT).get("first1").getStatus()).isEqualTo(ResponseStatus.OK);
    ConsumerRecord<String, UsageEvent> firstUsage = usage.awaitCount(1, WAIT).get(0);
    assertThat(firstUsage.value().getCostMicros()).isEqualTo(firstCost);

    kit.submit(Priority.STANDARD, second);

    LlmResponse refused = responses.awaitKeys(List.of("second"), WAIT).get("second");
    assertThat(refused.getStatus()).as("no state counts the first call yet, but this worker does").isEqualTo(ResponseStatus.REJECTED);
    assertThat(refused.getError().getMessage()).contains("spent $0.000000",
        "plus " + BudgetRules.usd(firstCost) + " reserved or spent by this worker and not yet counted");

    setState(BudgetState.newBuilder(state("search-daily", today, firstCost))
        .setCountedUsageOffsets(Map.of(Integer.toString(firstUsage.partition()), firstUsage.offset())).build());
    // The second's prompt with one token less fits what is left once the state counts the first call, and only then.
    long countedAt = System.currentTimeMillis();
    for (int i = 0; ; i++) {
      String id = "t%05d".formatted(i);
      kit.submit(Priority.STANDARD, request(id).setMessages(second.getMessages())
          .setParams(GenerationParams.newBuilder().setMaxTokens(6).build()).build());
      LlmResponse answer = responses.awaitKeys(List.of(id), WAIT).get(id);
      if (answer.getStatus() == ResponseStatus.OK) {
        break;
      }
      assertThat(System.currentTimeMillis() - countedAt).as("the counting state not applied yet: %s", answer.getError())
          .isLessThan(10_000);
    }
  }

  private static Budget budget(String id, BudgetScope scope, BudgetMode mode, long limitMicros) {
    return Budget.newBuilder().setId(id).setScope(scope).setPeriod(BudgetPeriod.DAY).setMode(mode)
        .setLimitMicros(limitMicros).build();
  }

  private static BudgetState state(String id, BudgetRules.Window period, long spentMicros) {
    return BudgetState.newBuilder().setBudgetId(id).setPeriodStart(period.start()).setPeriodEnd(period.end())
        .setSpentMicros(spentMicros).build();
  }

  private void setBudget(Budget budget) {
    putBudgetRaw(budget.getId(), kit.serdes.serde(Budget.class).serializer().serialize(kit.topics.budgets().name(), budget));
  }

  private void setState(BudgetState state) {
    putRaw(kit.topics.budgetState().name(), state.getBudgetId(),
        kit.serdes.serde(BudgetState.class).serializer().serialize(kit.topics.budgetState().name(), state));
  }

  private void putBudgetRaw(String key, byte[] value) {
    putRaw(kit.topics.budgets().name(), key, value);
  }

  private void putRaw(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String metrics(WorkerService worker) {
    try {
      return HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.opsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
