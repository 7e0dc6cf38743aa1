package io.llmbroker.worker.providers.gemini;

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

class GeminiAdapterTest {

  private static final String KEY = "AIzaSyTESTKEY0123456789abcdef";
  private static FakeProviderServer server;
  private GeminiAdapter adapter;

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
    adapter = new GeminiAdapter("gemini", server.baseUrl(), KEY, CallFixtures.HTTP, Clock.systemUTC());
  }

  @Test
  void sendsTheDocumentedRequestWithContentsSystemInstructionAndFunctions() throws Exception {
    await(adapter.send(call(CallFixtures.rich(), "gemini-2.5-flash")));

    FakeProviderServer.Received r = server.received().get(0);
    assertThat(r.path()).isEqualTo("/v1beta/models/gemini-2.5-flash:generateContent");
    assertThat(r.header("x-goog-api-key")).isEqualTo(KEY);
    assertThat(r.header("traceparent")).isEqualTo(CallFixtures.TRACEPARENT);
    JsonNode body = r.json();
    assertThat(body.path("systemInstruction").path("parts").path(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(body.path("contents").path(0).path("role").asText()).isEqualTo("user");
    assertThat(body.path("contents").path(0).path("parts").path(1).path("fileData").path("fileUri").asText())
        .isEqualTo("https://example.test/cat.png");
    assertThat(body.path("contents").path(1).path("role").asText()).isEqualTo("model");
    assertThat(body.path("contents").path(1).path("parts").path(0).path("functionCall").path("name").asText()).isEqualTo("lookup");
    assertThat(body.path("contents").path(2).path("parts").path(0).path("functionResponse").path("response").path("found").asBoolean())
        .isTrue();
    JsonNode config = body.path("generationConfig");
    assertThat(config.path("maxOutputTokens").asInt()).isEqualTo(100);
    assertThat(config.path("topP").asDouble()).isEqualTo(0.9, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(config.path("stopSequences").path(0).asText()).isEqualTo("END");
    assertThat(config.path("seed").asLong()).isEqualTo(7);
    assertThat(config.path("responseMimeType").asText()).isEqualTo("application/json");
    assertThat(body.path("tools").path(0).path("functionDeclarations").path(0).path("name").asText()).isEqualTo("lookup");
    assertThat(body.path("toolConfig").path("functionCallingConfig").path("mode").asText()).isEqualTo("AUTO");
  }

  @Test
  void countsThoughtsAsOutputAndCachedContentAsCachedInput() throws Exception {
    server.enqueue(Api.GEMINI, FakeReply.geminiOk("Bonjour", 800, 40, 512, 60));

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hi"), "gemini-2.5-flash")));

    assertThat(reply.content()).isEqualTo("Bonjour");
    assertThat(reply.finishReason()).isEqualTo("stop");
    assertThat(reply.usage().getInputTokens()).isEqualTo(800);
    assertThat(reply.usage().getCachedInputTokens()).isEqualTo(512);
    assertThat(reply.usage().getOutputTokens()).isEqualTo(100);
    assertThat(reply.usage().getReasoningTokens()).isEqualTo(60);
  }

  @Test
  void classifiesEachDocumentedErrorOnce() throws Exception {
    server.enqueue(Api.GEMINI,
        FakeReply.geminiError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota", "2s",
            "GenerateRequestsPerMinutePerProjectPerModel"),
        FakeReply.geminiError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota", "22s",
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
        FakeReply.geminiInvalidKey(),
        FakeReply.geminiError(403, "PERMISSION_DENIED", "denied", null, null),
        FakeReply.geminiError(400, "INVALID_ARGUMENT", "bad request", null, null),
        FakeReply.geminiError(503, "UNAVAILABLE", "The model is overloaded", null, null),
        FakeReply.geminiError(504, "DEADLINE_EXCEEDED", "deadline", null, null));

    ProviderException[] e = new ProviderException[7];
    for (int i = 0; i < e.length; i++) {
      e[i] = failure(adapter.send(call(CallFixtures.simple("x" + i), "gemini-2.5-flash")));
    }

    assertThat(e[0].errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
    assertThat(e[0].retryAfter()).contains(Duration.ofSeconds(2));
    assertThat(e[0].providerCode()).contains("RESOURCE_EXHAUSTED");
    assertThat(e[1].errorClass()).isEqualTo(ErrorClass.QUOTA);
    assertThat(e[2].errorClass()).isEqualTo(ErrorClass.CREDENTIAL);
    assertThat(e[3].errorClass()).isEqualTo(ErrorClass.CREDENTIAL);
    assertThat(e[4].errorClass()).isEqualTo(ErrorClass.CALLER_FAULT);
    assertThat(e[5].errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(e[6].errorClass()).isEqualTo(ErrorClass.TIMEOUT);
    for (ProviderException x : e) {
      assertThat(x.getMessage()).doesNotContain(KEY);
    }
  }

  @Test
  void aSuccessWithoutCandidatesIsAFailureNotAnEmptyAnswer() throws Exception {
    server.enqueue(Api.GEMINI, FakeReply.geminiNoCandidates(null), FakeReply.geminiNoCandidates("SAFETY"));

    ProviderException empty = failure(adapter.send(call(CallFixtures.simple("a"), "gemini-2.5-flash")));
    ProviderException blocked = failure(adapter.send(call(CallFixtures.simple("b"), "gemini-2.5-flash")));

    assertThat(empty.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    assertThat(empty.getMessage()).contains("no candidates");
    assertThat(blocked.errorClass()).isEqualTo(ErrorClass.CALLER_FAULT);
    assertThat(blocked.providerCode()).contains("SAFETY");
    assertThat(blocked.getMessage()).contains("prompt was blocked");
  }

  @Test
  void anUnknownModelIsADeploymentFaultAndAnArrayWrappedErrorIsRead() throws Exception {
    String notFound = FakeReply.geminiError(404, "NOT_FOUND",
        "models/gemini-9 is not found for API version v1beta", null, null).body();
    server.enqueue(Api.GEMINI, FakeReply.status(404, "[" + notFound + "]"));

    ProviderException e = failure(adapter.send(call(CallFixtures.simple("x"), "gemini-9")));

    assertThat(e.errorClass()).isEqualTo(ErrorClass.DEPLOYMENT_FAULT);
    assertThat(e.providerCode()).contains("NOT_FOUND");
    assertThat(e.getMessage()).contains("models/gemini-9 is not found")
        .contains("called " + server.baseUrl() + "/v1beta/models/gemini-9:generateContent")
        .doesNotContain(KEY);
  }

  @Test
  void aSuccessWithoutUsageIsEstimatedAndMarked() throws Exception {
    server.enqueue(Api.GEMINI, FakeReply.ok(Api.GEMINI, "Hello world").withoutUsage());

    ProviderReply reply = await(adapter.send(call(CallFixtures.simple("hello"), "gemini-2.5-flash")));

    assertThat(reply.usage().getEstimated()).isTrue();
    assertThat(reply.usage().getInputTokens()).isEqualTo(8);
    assertThat(reply.usage().getOutputTokens()).isEqualTo(2);
  }
}
