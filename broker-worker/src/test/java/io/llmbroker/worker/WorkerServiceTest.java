package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.await;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.TraceContext;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.worker.config.WorkerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerServiceTest {

  private final WorkerTestKit kit = new WorkerTestKit(3);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void aSubmittedRequestIsAnsweredOnItsReplyTopicWithUsageAndAudit() throws Exception {
    WorkerConfig config = kit.config();
    WorkerService worker = kit.start(config);
    var responses = kit.probe(kit.topics.responses("svc"));
    var usage = kit.probe(kit.topics.usage());
    var audit = kit.probe(kit.topics.audit());
    TraceContext trace = TraceContext.newBuilder().setTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").build();
    LlmRequest sent = request("r-1").setBatchId("b-1").setCustomId("c-1").setTrace(trace).setCustomer("acme").build();

    kit.submit(Priority.INTERACTIVE, sent);

    ConsumerRecord<String, LlmResponse> reply = responses.awaitCount(1, WAIT).get(0);
    LlmResponse response = reply.value();
    assertThat(reply.key()).isEqualTo("r-1");
    assertThat(response.getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(response.getRequestId()).isEqualTo("r-1");
    assertThat(response.getPriority()).isEqualTo(Priority.INTERACTIVE);
    assertThat(response.getContent()).isNotBlank();
    assertThat(response.getDeployment()).isEqualTo("sim-fast");
    assertThat(response.getUsage().getOutputTokens()).isPositive();
    assertThat(response.getCostMicros()).isPositive();
    assertThat(response.getAttempts()).isEqualTo(1);
    assertThat(response.getBatchId()).isEqualTo("b-1");
    assertThat(response.getCustomId()).isEqualTo("c-1");
    assertThat(response.getTrace()).isEqualTo(trace);
    assertThat(response.getTimings().getReceivedAt()).isGreaterThanOrEqualTo(sent.getCreatedAt());
    assertThat(response.getTimings().getTotalMs()).isGreaterThanOrEqualTo(response.getTimings().getProviderMs());
    assertThat(response.getCompletedAt()).isGreaterThanOrEqualTo(response.getTimings().getReceivedAt());

    UsageEvent spent = usage.awaitCount(1, WAIT).get(0).value();
    assertThat(spent.getRequestId()).isEqualTo("r-1");
    assertThat(spent.getTeam()).isEqualTo("search");
    assertThat(spent.getCustomer()).isEqualTo("acme");
    assertThat(spent.getProvider()).isEqualTo(response.getProvider());
    assertThat(spent.getModel()).isEqualTo("sim-fast-1");
    assertThat(spent.getCostMicros()).isEqualTo(response.getCostMicros());
    assertThat(spent.getBatchId()).isEqualTo("b-1");

    AuditRecord record = audit.awaitCount(1, WAIT).get(0).value();
    assertThat(record.getRequest()).isEqualTo(sent);
    assertThat(record.getResponse()).isEqualTo(response);
    assertThat(record.getAttempts()).hasSize(1);
    assertThat(record.getAttempts().get(0).getDeployment()).isEqualTo("sim-fast");
    assertThat(record.getWorker()).isEqualTo(config.worker().id());
    assertThat(record.getPriority()).isEqualTo(Priority.INTERACTIVE);

    String metrics = get(worker, "/metrics").body();
    assertThat(metrics).contains("llm_broker_worker_requests_total{class=\"interactive\",status=\"ok\"} 1.0");
    assertThat(get(worker, "/health/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void invalidRequestsAreAnsweredInvalidWithAnAuditRecordAndNoProviderCall() {
    kit.start(kit.config("{max-request-bytes: 4000, commit-interval: 200ms}", Map.of(), WorkerTestKit.SIM_ROUTING));
    var responses = kit.probe(kit.topics.responses("svc"));
    var audit = kit.probe(kit.topics.audit());
    var usage = kit.probe(kit.topics.usage());
    List<LlmRequest> invalid = List.of(
        request("unknown-alias").setModel("no-such-model").build(),
        request("blank-team").setTeam(" ").build(),
        request("no-messages").setMessages(List.of()).build(),
        request("oversize").setTags(Map.of("padding", "x".repeat(5000))).build(),
        request("bad-reply-to").setReplyTo("../etc").build());

    invalid.forEach(r -> kit.submit(Priority.STANDARD, r));
    kit.submit(Priority.STANDARD, request("valid").build());

    Map<String, LlmResponse> answered = responses.awaitKeys(
        List.of("unknown-alias", "blank-team", "no-messages", "oversize", "valid"), WAIT);
    for (String id : List.of("unknown-alias", "blank-team", "no-messages", "oversize")) {
      LlmResponse response = answered.get(id);
      assertThat(response.getStatus()).as(id).isEqualTo(ResponseStatus.INVALID);
      assertThat(response.getError().getErrorClass()).as(id).isEqualTo(ErrorClass.CALLER_FAULT);
      assertThat(response.getAttempts()).as(id).isZero();
    }
    assertThat(answered.get("unknown-alias").getError().getMessage()).contains("no-such-model");
    assertThat(answered.get("oversize").getError().getMessage()).contains("over the limit of 4000");
    assertThat(answered.get("valid").getStatus()).isEqualTo(ResponseStatus.OK);
    Map<String, AuditRecord> audited = audit.awaitKeys(invalid.stream().map(LlmRequest::getId).toList(), WAIT);
    assertThat(audited.get("bad-reply-to").getResponse().getStatus()).isEqualTo(ResponseStatus.INVALID);
    assertThat(audited.get("bad-reply-to").getResponse().getError().getMessage()).contains("reply_to");
    assertThat(invalid).allSatisfy(r -> assertThat(audited.get(r.getId()).getAttempts()).isEmpty());
    usage.awaitKeys(List.of("valid"), WAIT);
    assertThat(usage.records()).extracting(ConsumerRecord::key).containsExactly("valid");
  }

  @Test
  void anExpiredRequestIsAnsweredExpiredAndTheProviderSeesNoCall() {
    try (FakeProviderServer provider = FakeProviderServer.start()) {
      kit.start(kit.config("", Map.of(), WorkerTestKit.fakeRouting(provider, 4)), WorkerTestKit.FAKE_ENV);
      var responses = kit.probe(kit.topics.responses("svc"));
      var audit = kit.probe(kit.topics.audit());
      long now = System.currentTimeMillis();

      kit.submit(Priority.INTERACTIVE, request("late").setCreatedAt(now - 5000).setDeadline(now - 1000).build());
      kit.submit(Priority.INTERACTIVE, request("in-time").setDeadline(now + 600_000).build());

      Map<String, LlmResponse> answered = responses.awaitKeys(List.of("late", "in-time"), WAIT);
      LlmResponse late = answered.get("late");
      assertThat(late.getStatus()).isEqualTo(ResponseStatus.EXPIRED);
      assertThat(late.getError().getErrorClass()).isEqualTo(ErrorClass.TIMEOUT);
      assertThat(late.getAttempts()).isZero();
      assertThat(late.getProvider()).isNull();
      assertThat(audit.awaitKeys(List.of("late"), WAIT).get("late").getAttempts()).isEmpty();
      assertThat(answered.get("in-time").getStatus()).isEqualTo(ResponseStatus.OK);
      assertThat(provider.received()).hasSize(1);
      assertThat(provider.received().get(0).body()).contains("in-time").doesNotContain("Say hello to late");
    }
  }

  private static HttpResponse<String> get(WorkerService worker, String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.opsPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
