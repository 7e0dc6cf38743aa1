package io.llmbroker.worker.providers.openai;

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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiCompatibleAdapterTest {

  private static FakeProviderServer server;
  private OpenAiCompatibleAdapter adapter;

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
    adapter = new OpenAiCompatibleAdapter("openai", server.openAiBaseUrl(), KEY, CallFixtures.HTTP, Clock.systemUTC());
  }

  @Test
  void sendsTheDocumentedRequestWithBearerKeyAndTraceContext() throws Exception {
    await(adapter.send(call(CallFixtures.rich(), "gpt-4o-mini")));

    FakeProviderServer.Received r = server.received().get(0);
    assertThat(r.path()).isEqualTo("/v1/chat/completions");
    assertThat(r.header("authorization")).isEqualTo("Bearer " + KEY);
    assertThat(r.header("traceparent")).isEqualTo(CallFixtures.TRACEPARENT);
    assertThat(r.header("tracestate")).isEqualTo("vendor=1");
    JsonNode body = r.json();
    assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini");
    assertThat(body.path("messages").path(0).path("content").asText()).isEqualTo("Be brief.");
    assertThat(body.path("messages").path(1).path("content").path(1).path("image_url").path("url").asText())
        .isEqualTo("https://example.test/cat.png");
    assertThat(body.path("messages").path(2).path("tool_calls").path(0).path("function").path("arguments").asText())
        .isEqualTo("{\"q\":\"cat\"}");
    assertThat(body.path("messages").path(3).path("tool_call_id").asText()).isEqualTo("call_1");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(100);
    assertThat(body.path("stop").path(0).asText()).isEqualTo("END");
    assertThat(body.path("seed").asLong()).isEqualTo(7);
    assertThat(body.path("response_format").path("type").asText()).isEqualTo("json_object");
    assertThat(body.path("tools").path(0).path("function").path("parameters").path("type").asText()).isEqualTo("object");
    assertThat(body.path("tool_choice").asText()).isEqualTo("auto");
  }

  @Test
  void mapsUsageIncludingCachedAndReasoningTokens() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.openAiOk("Hi!", 1200, 300, 1024, 128));

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hello"), "gpt-4o-mini")));

    assertThat(reply.content()).isEqualTo("Hi!");
    assertThat(reply.finishReason()).isEqualTo("stop");
    assertThat(reply.usage().getInputTokens()).isEqualTo(1200);
    assertThat(reply.usage().getCachedInputTokens()).isEqualTo(1024);
    assertThat(reply.usage().getOutputTokens()).isEqualTo(300);
    assertThat(reply.usage().getReasoningTokens()).isEqualTo(128);
    assertThat(reply.usage().getEstimated()).isFalse();
    assertThat(reply.httpStatus()).isEqualTo(200);
  }

  @Test
  void readsToolCalls() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.openAiToolCall("call_9", "lookup", "{\"q\":\"dog\"}"));

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("find a dog"), "gpt-4o-mini")));

    assertThat(reply.finishReason()).isEqualTo("tool_calls");
    assertThat(reply.toolCalls()).singleElement().satisfies(c -> {
      assertThat(c.getId()).isEqualTo("call_9");
      assertThat(c.getName()).isEqualTo("lookup");
      assertThat(c.getArguments()).isEqualTo("{\"q\":\"dog\"}");
    });
  }

  @Test
  void classifiesEachDocumentedErrorOnce() throws Exception {
    server.enqueue(Api.OPENAI,
        FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "Rate limit reached").header("retry-after", "2"),
        FakeReply.openAiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota"),
        FakeReply.openAiError(401, "invalid_request_error", "invalid_api_key",
            "Incorrect API key provided: " + KEY + ". You can find your API key at the dashboard."),
        FakeReply.openAiError(400, "invalid_request_error", "context_length_exceeded", "too long"),
        FakeReply.openAiError(500, "server_error", null, "The server had an error"),
        FakeReply.openAiError(503, "server_error", null, "overloaded"));

    ProviderException rateLimited = failure(adapter.send(call(CallFixtures.simple("a"), "m")));
    ProviderException quota = failure(adapter.send(call(CallFixtures.simple("b"), "m")));
    ProviderException credential = failure(adapter.send(call(CallFixtures.simple("c"), "m")));
    ProviderException callerFault = failure(adapter.send(call(CallFixtures.simple("d"), "m")));
    ProviderException server500 = failure(adapter.send(call(CallFixtures.simple("e"), "m")));
    ProviderException server503 = failure(adapter.send(call(CallFixtures.simple("f"), "m")));

    assertThat(rateLimited.errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
    assertThat(rateLimited.retryAfter()).contains(Duration.ofSeconds(2));
    assertThat(rateLimited.providerCode()).contains("rate_limit_exceeded");
    assertThat(quota.errorClass()).isEqualTo(ErrorClass.QUOTA);
    assertThat(credential.errorClass()).isEqualTo(ErrorClass.CREDENTIAL);
    assertThat(credential.getMessage()).doesNotContain(KEY).doesNotContain("SECRET");
    assertThat(credential.toErrorInfo().getMessage()).doesNotContain("SECRET");
    assertThat(callerFault.errorClass()).isEqualTo(ErrorClass.CALLER_FAULT);
    assertThat(server500.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(server503.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
  }

  @Test
  void aCallThatOutlivesItsTimeoutIsATimeout() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.ok(Api.OPENAI, "late").after(Duration.ofSeconds(3)));

    ProviderException e = failure(adapter.send(new io.llmbroker.worker.providers.ProviderCall(
        CallFixtures.simple("slow"), "m", Duration.ofMillis(200), 1)));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.TIMEOUT);
  }

  @Test
  void anUnreachableServerIsTransient() throws Exception {
    OpenAiCompatibleAdapter nowhere = new OpenAiCompatibleAdapter("local", "http://127.0.0.1:1/v1", null,
        CallFixtures.HTTP, Clock.systemUTC());

    ProviderException e = failure(nowhere.send(call(CallFixtures.simple("x"), "m")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e.getMessage()).contains("connection to http://127.0.0.1:1/v1/chat/completions failed");
  }

  @Test
  void aKeylessVendorGetsNoAuthorizationHeader() throws Exception {
    OpenAiCompatibleAdapter local = new OpenAiCompatibleAdapter("vllm", server.openAiBaseUrl(), null,
        CallFixtures.HTTP, Clock.systemUTC());

    await(local.send(call(CallFixtures.simple("x"), "llama")));

    assertThat(server.received().get(0).header("authorization")).isNull();
  }

  @Test
  void aSuccessWithNoChoicesIsAFailureNotAnEmptyAnswer() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.openAiNoChoices());

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("hello"), "m")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e.httpStatus()).contains(200);
    assertThat(e.getMessage()).contains("without a completion").contains("no choices");
  }

  @Test
  void anErrorAnsweredWithA200IsAFailureThatQuotesIt() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.status(200,
        "{\"error\":{\"message\":\"upstream provider returned 502\",\"code\":502}}"));

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("hello"), "m")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e.getMessage()).contains("no choices: upstream provider returned 502");
  }

  @Test
  void aPathThatTakesNoPostIsADeploymentFault() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.text(405, "text/html", "<html><body><h1>405 Not Allowed</h1></body></html>"));

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("x"), "m")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.DEPLOYMENT_FAULT);
    assertThat(e.getMessage()).contains("405 Not Allowed").contains("called " + server.openAiBaseUrl());
  }

  @Test
  void aWrongBaseUrlIsADeploymentFaultThatNamesTheUrlCalled() throws Exception {
    // the usual mistake: base-url without its /v1 (here also with credentials in its user info)
    String withUserInfo = server.baseUrl().replace("http://", "http://bob:hunter2pass@");
    OpenAiCompatibleAdapter misconfigured = new OpenAiCompatibleAdapter("vllm", withUserInfo, KEY,
        CallFixtures.HTTP, Clock.systemUTC());

    ProviderException e = failure(misconfigured.send(call(CallFixtures.simple("x"), "m")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.DEPLOYMENT_FAULT);
    assertThat(e.httpStatus()).contains(404);
    assertThat(e.getMessage()).contains("called " + server.baseUrl() + "/chat/completions")
        .doesNotContain("SECRET").doesNotContain("hunter2pass");
  }

  @Test
  void anUnknownModelIsADeploymentFault() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.openAiError(404, "invalid_request_error", "model_not_found",
        "The model `gpt-9` does not exist or you do not have access to it."));

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("x"), "gpt-9")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.DEPLOYMENT_FAULT);
    assertThat(e.providerCode()).contains("model_not_found");
    assertThat(e.getMessage()).contains("The model `gpt-9` does not exist")
        .contains("called " + server.openAiBaseUrl() + "/chat/completions");
  }

  @Test
  void errorTextIsReadFromEveryCommonShape() throws Exception {
    server.enqueue(Api.OPENAI,
        FakeReply.status(400, "{\"error\":\"model 'llama9' not found, try pulling it first\"}"),
        FakeReply.status(400, "{\"message\":\"Input validation error: temperature must be positive\"}"),
        FakeReply.status(400, "{\"detail\":\"max_tokens is too large\"}"),
        FakeReply.status(422, "{\"detail\":[{\"loc\":[\"body\",\"messages\"],\"msg\":\"field required\"}]}"),
        FakeReply.text(500, "text/plain", "Internal Server Error: worker crashed"),
        FakeReply.text(502, "text/html", "<html><head><title>502 Bad Gateway</title></head>"
            + "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"),
        FakeReply.status(400, "{\"object\":\"error\",\"type\":\"BadRequestError\",\"code\":400}"));

    List<String> messages = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      messages.add(failure(adapter.send(call(CallFixtures.simple("q" + i), "m"))).getMessage());
    }

    assertThat(messages.get(0)).endsWith(": model 'llama9' not found, try pulling it first");
    assertThat(messages.get(1)).endsWith(": Input validation error: temperature must be positive");
    assertThat(messages.get(2)).endsWith(": max_tokens is too large");
    assertThat(messages.get(3)).endsWith(": field required");
    assertThat(messages.get(4)).endsWith(": Internal Server Error: worker crashed");
    assertThat(messages.get(5)).contains("502 Bad Gateway").contains("nginx").doesNotContain("<");
    assertThat(messages.get(6)).contains("BadRequestError");
  }

  @Test
  void errorTextIsScrubbedOfKeysAndBounded() throws Exception {
    String leaky = "upstream said: key " + KEY + ", header Authorization: Bearer abc.DEF-123_xyz456, "
        + "aws AKIAIOSFODNN7EXAMPLE, other sk-proj-abcdefghijklmnop, google AIzaSyA1234567890abcdef; "
        + "x".repeat(5000);
    server.enqueue(Api.OPENAI, FakeReply.openAiError(400, "invalid_request_error", null, leaky),
        FakeReply.text(503, "text/plain", leaky));

    ProviderException json = failure(adapter.send(call(CallFixtures.simple("a"), "m")));
    ProviderException text = failure(adapter.send(call(CallFixtures.simple("b"), "m")));

    for (ProviderException e : List.of(json, text)) {
      assertThat(e.getMessage()).contains("upstream said").contains("[REDACTED]")
          .doesNotContain("SECRET").doesNotContain("abc.DEF").doesNotContain("AKIAIOSFODNN7EXAMPLE")
          .doesNotContain("sk-proj").doesNotContain("AIzaSy");
      assertThat(e.getMessage().length()).isLessThan(600);
    }
  }

  @Test
  void aSuccessWithoutUsageIsCountedWithTheModelsTokenizerAndMarkedEstimated() throws Exception {
    server.enqueue(Api.OPENAI, FakeReply.ok(Api.OPENAI, "Hello world").withoutUsage());

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hello"), "gpt-4o-mini")));

    assertThat(reply.content()).isEqualTo("Hello world");
    assertThat(reply.usage().getEstimated()).isTrue();
    // o200k_base: "user" and "hello" are one token each, plus 3 per message and 3 to prime the reply
    assertThat(reply.usage().getInputTokens()).isEqualTo(8);
    assertThat(reply.usage().getOutputTokens()).isEqualTo(2);
  }
}
