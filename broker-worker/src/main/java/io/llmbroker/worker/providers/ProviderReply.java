package io.llmbroker.worker.providers;

import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import java.util.List;

/**
 * What a provider answered to a successful call, in the broker's terms.
 *
 * @param finishReason OpenAI-style: {@code stop}, {@code length}, {@code tool_calls},
 *     {@code content_filter}, or the provider's own word when it has no equivalent
 * @param httpStatus the HTTP status, or {@code null} for an in-process provider
 */
public record ProviderReply(
    String content, List<ToolCall> toolCalls, String finishReason, TokenUsage usage, Integer httpStatus) {
  public ProviderReply {
    content = content == null ? "" : content;
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }
}
