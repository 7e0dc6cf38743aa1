package io.llmbroker.worker.providers.anthropic;

import static io.llmbroker.worker.providers.CallFixtures.KEY;
import static io.llmbroker.worker.providers.CallFixtures.await;
import static io.llmbroker.worker.providers.CallFixtures.call;
import static io.llmbroker.worker.providers.CallFixtures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.FakeProviderServer.Api;
import io.llmbroker.testsupport.FakeReply;
import io.llmbroker.worker.providers.CallFixtures;
import io.llmbroker.worker.providers.ProviderException;
import io.llmbroker.worker.providers.ProviderReply;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AnthropicAdapterTest {

  private static FakeProviderServer server;
  private AnthropicAdapter adapter;

  @BeforeAll
  static void startServer() {
    server = FakeProviderServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void setUp() {
    server.resetStats();
    adapter = new AnthropicAdapter("anthropic", server.baseUrl(), KEY, CallFixtures.HTTP, Clock.systemUTC());
  }

  @Test
  void sendsTheDocumentedRequestWithSeparateSystemPromptAndToolBlocks() throws Exception {
    await(adapter.send(call(CallFixtures.rich(), "claude-sonnet-4-5")));

    FakeProviderServer.Received r = server.received().get(0);
    assertThat(r.path()).isEqualTo("/v1/messages");
    assertThat(r.header("x-api-key")).isEqualTo(KEY);
    assertThat(r.header("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(r.header("authorization")).isNull();
    assertThat(r.header("traceparent")).isEqualTo(CallFixtures.TRACEPARENT);
    JsonNode body = r.json();
    assertThat(body.path("system").asText()).isEqualTo("Be brief.");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(100);
    assertThat(body.path("messages")).hasSize(3);
    assertThat(body.path("messages").path(0).path("content").path(1).path("source").path("type").asText()).isEqualTo("url");
    assertThat(body.path("messages").path(1).path("content").path(0).path("type").asText()).isEqualTo("tool_use");
    assertThat(body.path("messages").path(1).path("content").path(0).path("input").path("q").asText()).isEqualTo("cat");
    assertThat(body.path("messages").path(2).path("content").path(0).path("tool_use_id").asText()).isEqualTo("call_1");
    assertThat(body.path("stop_sequences").path(0).asText()).isEqualTo("END");
    assertThat(body.path("tools").path(0).path("input_schema").path("type").asText()).isEqualTo("object");
    assertThat(body.path("tool_choice").path("type").asText()).isEqualTo("auto");
    assertThat(body.has("seed")).isFalse();
  }

  @Test
  void maxTokensIsAlwaysSentBecauseTheApiRequiresIt() throws Exception {
    await(adapter.send(call(CallFixtures.simple("hi"), "claude-haiku")));

    assertThat(server.received().get(0).json().path("max_tokens").asInt()).isEqualTo(AnthropicAdapter.DEFAULT_MAX_TOKENS);
  }

  @Test
  void countsCacheReadsAndWritesAsInputAndReadsAsCached() throws Exception {
    server.enqueue(Api.ANTHROPIC, FakeReply.anthropicOk("Hello", 50, 20, 1000, 200));

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hi"), "claude-haiku")));

    assertThat(reply.content()).isEqualTo("Hello");
    assertThat(reply.finishReason()).isEqualTo("stop");
    assertThat(reply.usage().getInputTokens()).isEqualTo(1250);
    assertThat(reply.usage().getCachedInputTokens()).isEqualTo(1000);
    assertThat(reply.usage().getOutputTokens()).isEqualTo(20);
  }

  @Test
  void readsToolUseAsToolCalls() throws Exception {
    server.enqueue(Api.ANTHROPIC, FakeReply.anthropicToolUse("toolu_1", "lookup", "{\"q\":\"cat\"}"));

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hi"), "claude-haiku")));

    assertThat(reply.finishReason()).isEqualTo("tool_calls");
    assertThat(reply.toolCalls()).singleElement().satisfies(c -> {
      assertThat(c.getId()).isEqualTo("toolu_1");
      assertThat(c.getArguments()).isEqualTo("{\"q\":\"cat\"}");
    });
  }

  @Test
  void classifiesEachDocumentedErrorOnce() throws Exception {
    server.enqueue(Api.ANTHROPIC,
        FakeReply.anthropicError(429, "rate_limit_error", "Number of requests has exceeded your rate limit").header("retry-after", "1"),
        FakeReply.anthropicError(529, "overloaded_error", "Overloaded"),
        FakeReply.anthropicError(401, "authentication_error", "invalid x-api-key"),
        FakeReply.anthropicError(403, "permission_error", "no access"),
        FakeReply.anthropicError(400, "invalid_request_error", "messages: field required"),
        FakeReply.anthropicError(402, "billing_error", "credit balance too low"),
        FakeReply.anthropicError(500, "api_error", "internal"));

    ProviderException[] e = new ProviderException[7];
    for (int i = 0; i < e.length; i++) {
      e[i] = failure(adapter.send(call(CallFixtures.simple("x" + i), "m")));
    }

    assertThat(e[0].errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
    assertThat(e[0].retryAfter()).contains(Duration.ofSeconds(1));
    assertThat(e[1].errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e[1].httpStatus()).contains(529);
    assertThat(e[2].errorClass()).isEqualTo(ErrorClass.CREDENTIAL);
    assertThat(e[3].errorClass()).isEqualTo(ErrorClass.CREDENTIAL);
    assertThat(e[4].errorClass()).isEqualTo(ErrorClass.CALLER_FAULT);
    assertThat(e[5].errorClass()).isEqualTo(ErrorClass.QUOTA);
    assertThat(e[6].errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e[2].providerCode()).contains("authentication_error");
  }

  @Test
  void aSuccessWithoutContentBlocksIsAFailureNotAnEmptyAnswer() throws Exception {
    server.enqueue(Api.ANTHROPIC, FakeReply.anthropicNoContent());

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("hello"), "claude-sonnet-4-5")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e.getMessage()).contains("without a completion").contains("no content blocks");
  }

  @Test
  void anUnknownModelIsADeploymentFaultWithTheMessageAndTheUrl() throws Exception {
    server.enqueue(Api.ANTHROPIC, FakeReply.anthropicError(404, "not_found_error", "model: claude-9"));

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("x"), "claude-9")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.DEPLOYMENT_FAULT);
    assertThat(e.providerCode()).contains("not_found_error");
    assertThat(e.getMessage()).contains("model: claude-9").contains("called " + server.baseUrl() + "/v1/messages");
  }

  @Test
  void aSuccessWithoutUsageIsEstimatedAndMarked() throws Exception {
    server.enqueue(Api.ANTHROPIC, FakeReply.ok(Api.ANTHROPIC, "Hello world").withoutUsage());

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hello"), "claude-sonnet-4-5")));

    assertThat(reply.usage().getEstimated()).isTrue();
    assertThat(reply.usage().getInputTokens()).isEqualTo(8);
    assertThat(reply.usage().getOutputTokens()).isEqualTo(2);
  }
}
