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
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.KafkaFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
