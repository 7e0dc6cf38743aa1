package io.llmbroker.schemas;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import java.util.List;
import java.util.Map;

/** Fully populated wire records for serde tests. */
public final class Samples {

  private Samples() {}

  public static LlmRequest request() {
    return LlmRequest.newBuilder()
        .setId("req-1")
        .setTeam("search")
        .setApp("ranker")
        .setCustomer("acme")
        .setTags(Map.of("env", "prod"))
        .setModel("fast")
        .setMessages(List.of(
            ChatMessage.newBuilder().setRole("system")
                .setContent(List.of(ContentPart.newBuilder().setText("Be brief.").build())).build(),
            ChatMessage.newBuilder().setRole("user").setContent(List.of(
                ContentPart.newBuilder().setText("What is in this picture?").build(),
                ContentPart.newBuilder().setType("image_url").setUrl("https://example.com/cat.png").setDetail("low").build()))
                .build()))
        .setParams(GenerationParams.newBuilder().setTemperature(0.2f).setMaxTokens(100).setStop(List.of("\n\n")).build())
        .setReplyTo("ranker")
        .setCreatedAt(1_763_900_000_000L)
        .setDeadline(1_763_900_060_000L)
        .build();
  }

  public static LlmResponse response() {
    return LlmResponse.newBuilder()
        .setRequestId("req-1")
        .setStatus(ResponseStatus.OK)
        .setPriority(Priority.INTERACTIVE)
        .setProvider("openai")
        .setModel("gpt-4o-mini")
        .setContent("A cat.")
        .setToolCalls(List.of(ToolCall.newBuilder().setId("call_1").setName("lookup").setArguments("{\"q\":\"cat\"}").build()))
        .setUsage(TokenUsage.newBuilder().setInputTokens(120).setOutputTokens(3).setCachedInputTokens(100).build())
        .setCostMicros(27)
        .setTimings(Timings.newBuilder().setReceivedAt(1_763_900_000_005L).setQueuedMs(2).setProviderMs(300).setTotalMs(310).build())
        .setAttempts(1)
        .setCompletedAt(1_763_900_000_310L)
        .build();
  }
}
