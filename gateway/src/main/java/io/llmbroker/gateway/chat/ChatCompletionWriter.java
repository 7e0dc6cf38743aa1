package io.llmbroker.gateway.chat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.gateway.http.Json;
import java.util.List;

/** Writes an {@code OK} reply as OpenAI's {@code chat.completion} object or as one SSE chunk. Stateless. */
final class ChatCompletionWriter {

  private ChatCompletionWriter() {}

  static ObjectNode completion(String id, String requestedModel, LlmResponse reply) {
    ObjectNode root = header(id, "chat.completion", requestedModel, reply);
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", reply.getContent());
    message.putNull("refusal");
    toolCalls(message, reply.getToolCalls(), false);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason(reply));
    root.set("usage", usage(reply.getUsage()));
    return root;
  }

  /**
   * The whole answer as a server-sent event stream: one chunk with the role, the content and the
   * tool calls and the finish reason, then, when asked, a usage chunk, then {@code [DONE]}.
   */
  static String stream(String id, String requestedModel, LlmResponse reply, boolean includeUsage) {
    ObjectNode chunk = header(id, "chat.completion.chunk", requestedModel, reply);
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode delta = choice.putObject("delta");
    delta.put("role", "assistant");
    if (reply.getContent() != null) {
      delta.put("content", reply.getContent());
    }
    toolCalls(delta, reply.getToolCalls(), true);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason(reply));
    StringBuilder events = new StringBuilder();
    if (includeUsage) {
      chunk.putNull("usage");
    }
    event(events, chunk);
    if (includeUsage) {
      ObjectNode usage = header(id, "chat.completion.chunk", requestedModel, reply);
      usage.putArray("choices");
      usage.set("usage", usage(reply.getUsage()));
      event(events, usage);
    }
    return events.append("data: [DONE]\n\n").toString();
  }

  private static ObjectNode header(String id, String object, String requestedModel, LlmResponse reply) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("id", "chatcmpl-" + id);
    root.put("object", object);
    root.put("created", reply.getCompletedAt() / 1000);
    root.put("model", reply.getModel() != null ? reply.getModel() : requestedModel);
    root.putNull("system_fingerprint");
    return root;
  }

  private static void toolCalls(ObjectNode message, List<ToolCall> calls, boolean indexed) {
    if (calls == null || calls.isEmpty()) {
      return;
    }
    ArrayNode out = message.putArray("tool_calls");
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      ObjectNode call = out.addObject();
      if (indexed) {
        call.put("index", i);
      }
      call.put("id", c.getId());
      call.put("type", "function");
      call.putObject("function").put("name", c.getName()).put("arguments", c.getArguments());
    }
  }

  private static String finishReason(LlmResponse reply) {
    if (reply.getFinishReason() != null) {
      return reply.getFinishReason();
    }
    return reply.getToolCalls() != null && !reply.getToolCalls().isEmpty() ? "tool_calls" : "stop";
  }

  private static ObjectNode usage(TokenUsage u) {
    ObjectNode usage = Json.MAPPER.createObjectNode();
    usage.put("prompt_tokens", u.getInputTokens());
    usage.put("completion_tokens", u.getOutputTokens());
    usage.put("total_tokens", u.getInputTokens() + u.getOutputTokens());
    usage.putObject("prompt_tokens_details").put("cached_tokens", u.getCachedInputTokens());
    usage.putObject("completion_tokens_details").put("reasoning_tokens", u.getReasoningTokens());
    return usage;
  }

  private static void event(StringBuilder events, ObjectNode chunk) {
    events.append("data: ").append(chunk.toString()).append("\n\n");
  }
}
