package io.llmbroker.gateway;

import static io.llmbroker.gateway.GatewayTestKit.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.MultipartField;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.FunctionDefinition;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.models.Model;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.gateway.batch.GatewayBatchStatus;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.testsupport.FakeProviderServer.Api;
import io.llmbroker.testsupport.FakeProviderServer.Received;
import io.llmbroker.testsupport.FakeReply;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The gateway driven by the official OpenAI Java SDK, unchanged but for its base URL and key,
 * against the real broker and a real worker calling a fake provider over HTTP. The worker requires
 * signatures, so every answered call also proves the gateway signed it with a key the app trusts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiGatewayTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private GatewayTestKit kit;
  private String token;

  @BeforeAll
  void start() {
    kit = new GatewayTestKit();
    kit.registerApp("ranker", List.of("fast", "openai/gpt-4o-mini"), Priority.STANDARD, 500, true);
    token = kit.newKey("ranker", null, null, null);
    await().atMost(WAIT).until(() -> listModels(token).size() == 2);
  }

  @AfterAll
  void stop() {
    kit.close();
  }

  private OpenAIClient sdk(String key) {
    return OpenAIOkHttpClient.builder().baseUrl(kit.baseUrl()).apiKey(key).build();
  }

  private List<String> listModels(String key) {
    return listModels(kit.gateway, key);
  }

  private static List<String> listModels(GatewayService gateway, String key) {
    try {
      return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + gateway.port() + "/v1").apiKey(key).build()
          .models().list().data().stream().map(Model::id).toList();
    } catch (UnauthorizedException e) {
      return List.of();
    }
  }

  private static ChatCompletionCreateParams.Builder hello() {
    return ChatCompletionCreateParams.builder().model("fast").addSystemMessage("Be brief.").addUserMessage("Say hello.");
  }

  @Test
  void aChatCompletionIsAnsweredThroughKafkaWithUsageCachedTokensAndTheCallersAttribution() {
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiOk("Hello!", 40, 7, 32, 3));

    HttpResponseFor<ChatCompletion> raw = sdk(token).chat().completions().withRawResponse().create(hello()
        .user("customer-42")
        .metadata(ChatCompletionCreateParams.Metadata.builder().putAdditionalProperty("feature", JsonValue.from("search")).build())
        .temperature(0.2)
        .responseFormat(ResponseFormatJsonObject.builder().build())
        .build());

    ChatCompletion completion = raw.parse();
    assertThat(completion.choices().get(0).message().content()).contains("Hello!");
    assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(40);
    assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(7);
    assertThat(completion.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()).contains(32L);
    String requestId = raw.headers().values("x-request-id").get(0);
    assertThat(completion.id()).isEqualTo("chatcmpl-" + requestId);
    JsonNode sent = lastProviderCall().json();
    assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system");
    assertThat(sent.path("temperature").floatValue()).isEqualTo(0.2f);
    assertThat(sent.path("response_format").path("type").asText()).isEqualTo("json_object");
    UsageEvent usage = kit.usageOf(requestId);
    assertThat(usage.getApp()).isEqualTo("ranker");
    assertThat(usage.getTeam()).isEqualTo("search");
    assertThat(usage.getCustomer()).isEqualTo("customer-42");
    assertThat(usage.getTags()).containsEntry("feature", "search");
  }

  @Test
  void aStreamedCompletionIsOneChunkThenUsageThenDone() {
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiOk("Streamed whole.", 12, 4, 0, 0));

    List<ChatCompletionChunk> chunks;
    try (StreamResponse<ChatCompletionChunk> stream = sdk(token).chat().completions().createStreaming(hello()
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
      chunks = stream.stream().toList();
    }

    assertThat(chunks).hasSize(2);
    assertThat(chunks.get(0).choices().get(0).delta().content()).contains("Streamed whole.");
    assertThat(chunks.get(0).choices().get(0).finishReason()).contains(ChatCompletionChunk.Choice.FinishReason.STOP);
    assertThat(chunks.get(1).choices()).isEmpty();
    assertThat(chunks.get(1).usage().orElseThrow().totalTokens()).isEqualTo(16);
  }

  @Test
  void toolCallsGoOutAndTheirResultsComeBack() {
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}"),
        FakeReply.openAiOk("It is 21 degrees.", 30, 6, 0, 0));
    ChatCompletionCreateParams.Builder ask = ChatCompletionCreateParams.builder().model("fast")
        .addUserMessage("Weather in Oslo?")
        .addFunctionTool(FunctionDefinition.builder().name("get_weather").description("Current weather")
            .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string")))).build())
            .build());

    ChatCompletion first = sdk(token).chat().completions().create(ask.build());
    ChatCompletionMessageFunctionToolCall call = first.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
    ChatCompletion second = sdk(token).chat().completions().create(ask
        .addMessage(first.choices().get(0).message())
        .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("{\"celsius\":21}").build())
        .build());

    assertThat(first.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    assertThat(call.function().name()).isEqualTo("get_weather");
    assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(second.choices().get(0).message().content()).contains("It is 21 degrees.");
    JsonNode sent = lastProviderCall().json();
    assertThat(sent.path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
    JsonNode messages = sent.path("messages");
    assertThat(messages.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo("call_1");
    assertThat(messages.get(2).path("role").asText()).isEqualTo("tool");
    assertThat(messages.get(2).path("tool_call_id").asText()).isEqualTo("call_1");
  }

  @Test
  void modelsListsWhatTheKeysAppMayUse() {
    assertThat(listModels(token)).containsExactly("fast", "openai/gpt-4o-mini");
    assertThat(sdk(token).models().retrieve("fast").id()).isEqualTo("fast");
    assertThatThrownBy(() -> sdk(token).models().retrieve("smart")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void theKeysDefaultPriorityAndTheHeaderPickTheTopicWithinTheAppsCeiling() {
    String batchKey = kit.newKey("ranker", "acme", Priority.BATCH, null);
    await().atMost(WAIT).until(() -> listModels(batchKey).size() == 2);
    long batchBefore = kit.requestsOn(Priority.BATCH);
    long standardBefore = kit.requestsOn(Priority.STANDARD);

    sdk(batchKey).chat().completions().create(hello().build());
    OpenAIClient standard = sdk(batchKey).withOptions(o -> o.putHeader("X-LLM-Priority", "standard"));
    standard.chat().completions().create(hello().build());
    OpenAIClient interactive = sdk(batchKey).withOptions(o -> o.putHeader("X-LLM-Priority", "interactive"));

    assertThat(kit.requestsOn(Priority.BATCH) - batchBefore).isEqualTo(1);
    assertThat(kit.requestsOn(Priority.STANDARD) - standardBefore).isEqualTo(1);
    assertThatThrownBy(() -> interactive.chat().completions().create(hello().build()))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("ceiling");
  }

  @Test
  void wrongRevokedAndExpiredKeysGet401InOpenAisShape() {
    kit.registerApp("short-lived", List.of("fast"), Priority.STANDARD, null, true);
    String expired = kit.newKey("short-lived", null, null, System.currentTimeMillis() - 1);
    String revoked = kit.newKey("short-lived", null, null, null);
    GatewayService other = kit.startGateway();
    await().atMost(WAIT).until(() -> listModels(revoked).size() == 1 && listModels(other, revoked).size() == 1);

    kit.revokeKeys("short-lived");

    await().atMost(Duration.ofSeconds(5)).until(() -> listModels(revoked).isEmpty() && listModels(other, revoked).isEmpty());
    for (String key : List.of(expired, revoked, "llmb.cmFua2Vy.not-the-secret", "sk-something-else")) {
      assertThatThrownBy(() -> sdk(key).chat().completions().create(hello().build()))
          .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
            assertThat(e.code()).contains("invalid_api_key");
            assertThat(e.getMessage()).doesNotContain(key);
          });
    }
  }

  @Test
  void refusalsAndFailuresMapToTheErrorsSdksReactTo() {
    kit.registerApp("untrusting", List.of("fast"), Priority.STANDARD, null, false);
    String untrusting = kit.newKey("untrusting", null, null, null);
    kit.registerApp("anything", List.of("*"), Priority.INTERACTIVE, null, true);
    String anything = kit.newKey("anything", null, null, null);
    await().atMost(WAIT).until(() -> listModels(anything).size() == 2 && listModels(untrusting).size() == 1);

    assertError(() -> sdk(token).chat().completions().create(hello().model("smart").build()),
        NotFoundException.class, "model_not_found");
    assertError(() -> sdk(anything).chat().completions().create(hello().model("no-such-alias").build()),
        NotFoundException.class, "model_not_found");
    assertError(() -> sdk(token).chat().completions().create(hello().maxCompletionTokens(501).build()),
        BadRequestException.class, null);
    assertError(() -> sdk(untrusting).chat().completions().create(hello().build()),
        PermissionDeniedException.class, "permission_denied");
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "slow down"),
        FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "slow down"),
        FakeReply.openAiError(429, "requests", "rate_limit_exceeded", "slow down"));
    assertError(() -> sdk(token).chat().completions().create(hello().build()), RateLimitException.class, "rate_limit_exceeded");
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiError(429, "insufficient_quota", "insufficient_quota", "no credit"));
    assertError(() -> sdk(token).chat().completions().create(hello().build()), RateLimitException.class, "insufficient_quota");
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiOk("too late", 1, 1, 0, 0).after(Duration.ofSeconds(3)));
    OpenAIClient hurried = sdk(token).withOptions(o -> o.putHeader("X-LLM-Deadline", Instant.now().plusMillis(800).toString()));
    assertError(() -> hurried.chat().completions().create(hello().build()), InternalServerException.class, null);
  }

  @Test
  void badInputGetsOpenAiShaped400404413AndNothingReachesKafka() throws Exception {
    long before = kit.requestsOnKafka();

    assertRaw("POST", "/v1/chat/completions", "{\"model\": \"fast\", \"messages\": [", 400, null);
    assertRaw("POST", "/v1/chat/completions", "{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
        + "\"temperature\": \"hot\"}", 400, "temperature");
    assertRaw("POST", "/v1/chat/completions", "{\"model\": \"fast\", \"messages\": []}", 400, "messages");
    assertRaw("POST", "/v1/chat/completions", "{\"model\": \"fast\", \"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}",
        400, "messages[0].role");
    assertRaw("POST", "/v1/chat/completions", "{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \""
        + "x".repeat(30_000) + "\"}]}", 413, null);
    assertRaw("POST", "/v1/embeddings", "{}", 404, null);
    assertRaw("DELETE", "/v1/chat/completions", "", 405, null);
    assertRaw("POST", "/v1/chat/completions", "[1, 2]", 400, null);
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiOk("still serving", 1, 1, 0, 0));
    assertThat(sdk(token).chat().completions().create(hello().build()).choices().get(0).message().content())
        .contains("still serving");

    assertThat(kit.requestsOnKafka() - before).isEqualTo(1);
  }

  @Test
  void healthAndMetricsAreServedOnTheSamePort() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + kit.gateway.port();

    HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("llm_gateway_requests_seconds_count{endpoint=\"models.list\"");
  }

  @Test
  void aWholeBatchUploadCreatePollDownloadOutputAndErrorsThenCancelAnother() throws Exception {
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiOk("one", 5, 1, 0, 0),
        FakeReply.openAiError(400, "invalid_request_error", null, "bad prompt"), FakeReply.openAiOk("three", 5, 1, 0, 0));
    OpenAIClient sdk = sdk(token);

    FileObject input = sdk.files().create(FileCreateParams.builder().purpose(FilePurpose.BATCH)
        .file(MultipartField.<InputStream>builder().value(new ByteArrayInputStream(batchFile("a", "b", "c")))
            .filename("requests.jsonl").build()).build());
    Batch created = sdk.batches().create(BatchCreateParams.builder().inputFileId(input.id())
        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS).completionWindow(BatchCreateParams.CompletionWindow._24H)
        .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty("job", JsonValue.from("nightly")).build()).build());
    await().atMost(WAIT).until(() -> sdk.batches().retrieve(created.id()).status().equals(Batch.Status.COMPLETED));
    Batch done = sdk.batches().retrieve(created.id());
    String output = content(sdk, done.outputFileId().orElseThrow());
    String errors = content(sdk, done.errorFileId().orElseThrow());

    assertThat(input.filename()).isEqualTo("requests.jsonl");
    assertThat(content(sdk, input.id())).isEqualTo(new String(batchFile("a", "b", "c"), StandardCharsets.UTF_8));
    assertThat(created.status()).isIn(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS);
    assertThat(done.requestCounts().orElseThrow().total()).isEqualTo(3);
    assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(2);
    assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(1);
    assertThat(output.lines().map(l -> json(l).path("custom_id").asText()).toList()).hasSize(2).doesNotHaveDuplicates();
    assertThat(output).contains("\"status_code\":200");
    assertThat(errors.lines().toList()).singleElement().satisfies(l -> assertThat(json(l).path("error").isObject()).isTrue());
    assertThat(sdk.batches().list().data()).extracting(Batch::id).contains(created.id());
    GatewayService other = kit.startGateway();
    OpenAIClient viaOther = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + other.port() + "/v1").apiKey(token).build();
    assertThat(viaOther.batches().retrieve(created.id()).requestCounts().orElseThrow().completed()).isEqualTo(2);
    assertThat(content(viaOther, done.outputFileId().orElseThrow())).isEqualTo(output);
    Map<String, Object> kafka = Map.of("bootstrap.servers", KafkaFixture.get().bootstrapServers());
    assertThat(GatewayBatchStatus.read(kafka, kit.topics, created.id(), System.currentTimeMillis()).orElseThrow())
        .isEqualTo(new GatewayBatchStatus(created.id(), "ranker", "completed", 3, 2, 1));
    assertThatThrownBy(() -> sdk.batches().cancel(created.id())).isInstanceOf(OpenAIServiceException.class);

    int calls = kit.provider.received().size();
    kit.provider.enqueue(Api.OPENAI, FakeReply.openAiOk("slow", 1, 1, 0, 0).after(Duration.ofSeconds(2)),
        FakeReply.openAiOk("slow", 1, 1, 0, 0).after(Duration.ofSeconds(2)));
    FileObject second = sdk.files().create(FileCreateParams.builder().purpose(FilePurpose.BATCH)
        .file(batchFile("x", "y")).build());
    Batch running = sdk.batches().create(BatchCreateParams.builder().inputFileId(second.id())
        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS).completionWindow(BatchCreateParams.CompletionWindow._24H).build());
    await().atMost(WAIT).until(() -> kit.provider.received().size() == calls + 2);

    Batch cancelled = sdk.batches().cancel(running.id());

    assertThat(cancelled.status()).isEqualTo(Batch.Status.CANCELLED);
    assertThat(sdk.batches().retrieve(running.id()).status()).isEqualTo(Batch.Status.CANCELLED);
  }

  @Test
  void aBatchWithABadLineFailsValidationAndEnqueuesNothing() {
    OpenAIClient sdk = sdk(token);
    long before = kit.requestsOnKafka();
    byte[] file = (new String(batchFile("ok"), StandardCharsets.UTF_8) + "{\"custom_id\": \"bad\", \"method\": \"POST\"}\n"
        + new String(batchFile("ok"), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);

    FileObject input = sdk.files().create(FileCreateParams.builder().purpose(FilePurpose.BATCH).file(file).build());
    Batch batch = sdk.batches().create(BatchCreateParams.builder().inputFileId(input.id())
        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS).completionWindow(BatchCreateParams.CompletionWindow._24H).build());
    await().atMost(WAIT).until(() -> sdk.batches().retrieve(batch.id()).status().equals(Batch.Status.FAILED));

    Batch failed = sdk.batches().retrieve(batch.id());
    assertThat(failed.errors().orElseThrow().data().orElseThrow()).extracting(e -> e.line().orElseThrow(), e -> e.code().orElseThrow())
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, "invalid_request"), org.assertj.core.groups.Tuple.tuple(3L, "duplicate_custom_id"));
    assertThat(kit.requestsOnKafka()).isEqualTo(before);
    assertThatThrownBy(() -> sdk.batches().retrieve("batch_nope")).isInstanceOf(NotFoundException.class);
  }

  private static byte[] batchFile(String... customIds) {
    StringBuilder out = new StringBuilder();
    for (String id : customIds) {
      out.append("{\"custom_id\": \"").append(id).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", ")
          .append("\"body\": {\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \"Line ")
          .append(id).append("\"}]}}\n");
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String content(OpenAIClient sdk, String fileId) throws Exception {
    try (var response = sdk.files().content(fileId); InputStream body = response.body()) {
      return new String(body.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static JsonNode json(String line) {
    try {
      return JSON.readTree(line);
    } catch (Exception e) {
      throw new AssertionError(line, e);
    }
  }

  private void assertRaw(String method, String path, String body, int status, String param) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + kit.gateway.port() + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(method + " " + path + " " + response.body()).isEqualTo(status);
    JsonNode error = JSON.readTree(response.body()).path("error");
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    if (param != null) {
      assertThat(error.path("param").asText()).isEqualTo(param);
    }
    assertThat(response.headers().firstValue("x-request-id")).isPresent();
  }

  private static void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
      Class<? extends OpenAIServiceException> type, String code) {
    assertThatThrownBy(call).isInstanceOfSatisfying(type, e -> {
      assertThat(e.body().toString()).contains("message");
      if (code != null) {
        assertThat(e.code()).as(e.getMessage()).contains(code);
      }
    });
  }

  private Received lastProviderCall() {
    List<Received> received = kit.provider.received();
    return received.get(received.size() - 1);
  }
}
