package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.FakeProviderServer.Api;
import io.llmbroker.testsupport.FakeReply;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Providers as they really answer, through a worker on the real broker and real HTTP. */
class ProviderAnswersTest {

  private static final String KEY = "sk-answers-SECRET-0123456789";

  private final WorkerTestKit kit = new WorkerTestKit(3);
  private final FakeProviderServer provider = FakeProviderServer.start();

  @AfterEach
  void close() {
    kit.close();
    provider.close();
  }

  /** {@code misrouted} has the usual wrong base URL (no {@code /v1}); {@code direct} only the right one. */
  private String routing() {
    return """
        routing:
          retry: {max-attempts: 3, initial-backoff: 1ms}
          providers:
            missing-v1: {type: openai, base-url: "%s", api-key-env: FAKE_OPENAI_KEY}
            fake: {type: openai, base-url: "%s", api-key-env: FAKE_OPENAI_KEY}
          deployments:
            wrong-url: {provider: missing-v1, model: gpt-4o-mini, max-concurrency: 4}
            right-url: {provider: fake, model: gpt-4o-mini, max-concurrency: 4}
          aliases:
            misrouted: [wrong-url, right-url]
            direct: [right-url]
          prices:
            gpt-4o-mini: {input: "0.15", output: "0.60"}
        """.formatted(provider.baseUrl(), provider.openAiBaseUrl());
  }

  @Test
  void aWrongBaseUrlFallsBackAtOnceAndTheAttemptSaysWhichUrlWasCalled() {
    kit.start(kit.config("", Map.of(), routing()), Map.of("FAKE_OPENAI_KEY", KEY));
    var responses = kit.probe(kit.topics.responses("svc"));
    var audit = kit.probe(kit.topics.audit());

    kit.submit(Priority.INTERACTIVE, request("misrouted").setModel("misrouted").build());

    LlmResponse response = responses.awaitKeys(List.of("misrouted"), WAIT).get("misrouted");
    assertThat(response.getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(response.getDeployment()).isEqualTo("right-url");
    List<Attempt> attempts = audit.awaitKeys(List.of("misrouted"), WAIT).get("misrouted").getAttempts();
    assertThat(attempts).extracting(Attempt::getDeployment).containsExactly("wrong-url", "right-url");
    Attempt wrong = attempts.get(0);
    assertThat(wrong.getHttpStatus()).isEqualTo(404);
    assertThat(wrong.getError().getErrorClass()).isEqualTo(ErrorClass.DEPLOYMENT_FAULT);
    assertThat(wrong.getError().getMessage())
        .contains("called " + provider.baseUrl() + "/chat/completions")
        .doesNotContain(KEY);
  }

  @Test
  void anAnswerWithoutUsageIsPricedFromEstimatedTokensAndMarkedInResponseUsageAndAudit() {
    kit.start(kit.config("", Map.of(), routing()), Map.of("FAKE_OPENAI_KEY", KEY));
    var responses = kit.probe(kit.topics.responses("svc"));
    var usage = kit.probe(kit.topics.usage());
    var audit = kit.probe(kit.topics.audit());
    provider.enqueue(Api.OPENAI, FakeReply.ok(Api.OPENAI, "Hello there, this answer came without any usage block.")
        .withoutUsage());

    kit.submit(Priority.STANDARD, request("no-usage").setModel("direct").build());

    LlmResponse response = responses.awaitKeys(List.of("no-usage"), WAIT).get("no-usage");
    assertThat(response.getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(response.getUsage().getEstimated()).isTrue();
    assertThat(response.getUsage().getInputTokens()).isPositive();
    assertThat(response.getUsage().getOutputTokens()).isPositive();
    assertThat(response.getCostMicros()).isPositive();
    UsageEvent spent = usage.awaitKeys(List.of("no-usage"), WAIT).get("no-usage");
    assertThat(spent.getUsage()).isEqualTo(response.getUsage());
    assertThat(spent.getCostMicros()).isEqualTo(response.getCostMicros());
    AuditRecord record = audit.awaitKeys(List.of("no-usage"), WAIT).get("no-usage");
    assertThat(record.getResponse().getUsage().getEstimated()).isTrue();
  }

  @Test
  void anAnswerWithNoChoicesIsRetriedAndNeverRepliedAsAnEmptySuccess() {
    kit.start(kit.config("", Map.of(), routing()), Map.of("FAKE_OPENAI_KEY", KEY));
    var responses = kit.probe(kit.topics.responses("svc"));
    provider.enqueue(Api.OPENAI, FakeReply.openAiNoChoices(), FakeReply.openAiNoChoices(), FakeReply.openAiNoChoices());

    kit.submit(Priority.STANDARD, request("empty").setModel("direct").build());

    LlmResponse response = responses.awaitKeys(List.of("empty"), WAIT).get("empty");
    assertThat(response.getStatus()).isEqualTo(ResponseStatus.ERROR);
    assertThat(response.getAttempts()).isEqualTo(3);
    assertThat(response.getError().getErrorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(response.getError().getMessage()).contains("no choices");
    assertThat(response.getContent()).isNull();
  }
}
