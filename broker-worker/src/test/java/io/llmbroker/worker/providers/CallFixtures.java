package io.llmbroker.worker.providers;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.ResponseFormat;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import io.llmbroker.avro.TraceContext;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Requests and helpers shared by the adapter tests. */
public final class CallFixtures {

  public static final String KEY = "sk-test-SECRET0123456789";
  public static final HttpClient HTTP = HttpClient.newHttpClient();
  public static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private CallFixtures() {}

  public static ChatMessage message(String role, String text) {
    return ChatMessage.newBuilder().setRole(role).setContent(List.of(ContentPart.newBuilder().setText(text).build())).build();
  }

  /** A conversation with a system prompt, an image, a tool round trip and every parameter set. */
  public static LlmRequest rich() {
    ChatMessage withImage = ChatMessage.newBuilder().setRole("user").setContent(List.of(
        ContentPart.newBuilder().setText("What is in this picture?").build(),
        ContentPart.newBuilder().setType("image_url").setUrl("https://example.test/cat.png").setDetail("low").build())).build();
    ChatMessage assistantCall = ChatMessage.newBuilder().setRole("assistant").setContent(List.of())
        .setToolCalls(List.of(ToolCall.newBuilder().setId("call_1").setName("lookup").setArguments("{\"q\":\"cat\"}").build()))
        .build();
    ChatMessage toolResult = ChatMessage.newBuilder().setRole("tool").setToolCallId("call_1")
        .setContent(List.of(ContentPart.newBuilder().setText("{\"found\":true}").build())).build();
    GenerationParams params = GenerationParams.newBuilder()
        .setTemperature(0.5f).setTopP(0.9f).setMaxTokens(100).setStop(List.of("END")).setSeed(7L)
        .setResponseFormat(ResponseFormat.newBuilder().setType("json_object").build())
        .setTools(List.of(ToolDefinition.newBuilder().setName("lookup").setDescription("find things")
            .setParametersJson("{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}").build()))
        .setToolChoice("auto")
        .build();
    return LlmRequest.newBuilder().setId("req-1").setTeam("t").setApp("a").setModel("m")
        .setMessages(List.of(message("system", "Be brief."), withImage, assistantCall, toolResult))
        .setParams(params).setReplyTo("svc").setCreatedAt(0)
        .setTrace(TraceContext.newBuilder().setTraceparent(TRACEPARENT).setTracestate("vendor=1").build())
        .build();
  }

  public static LlmRequest simple(String text) {
    return LlmRequest.newBuilder().setId("req-2").setTeam("t").setApp("a").setModel("m")
        .setMessages(List.of(message("user", text))).setReplyTo("svc").setCreatedAt(0).build();
  }

  public static ProviderCall call(LlmRequest request, String model) {
    return new ProviderCall(request, model, Duration.ofSeconds(10), 1);
  }

  public static ProviderReply await(CompletableFuture<ProviderReply> f) throws Exception {
    return f.get(20, TimeUnit.SECONDS);
  }

  /** The ProviderException a failed call completed with. */
  public static ProviderException failure(CompletableFuture<ProviderReply> f) throws TimeoutException, InterruptedException {
    try {
      f.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ProviderException p) {
        return p;
      }
      throw new AssertionError("not a ProviderException", e.getCause());
    }
    throw new AssertionError("the call succeeded");
  }
}
