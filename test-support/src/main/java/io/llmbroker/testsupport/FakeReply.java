package io.llmbroker.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scripted answer of {@link FakeProviderServer}: status, headers, body and an optional
 * delay of its own. Factories build each provider's documented success and error documents.
 * Immutable.
 */
public record FakeReply(int status, Map<String, String> headers, String body, Duration delay) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public FakeReply {
    headers = Map.copyOf(headers);
  }

  /** Any status and body. */
  public static FakeReply status(int status, String body) {
    return new FakeReply(status, Map.of(), body, null);
  }

  /** A body that is not JSON, such as a proxy's HTML error page or a server's plain text. */
  public static FakeReply text(int status, String contentType, String body) {
    return status(status, body).header("content-type", contentType);
  }

  /** A Chat Completions 200 whose {@code choices} is empty, as some OpenAI-compatible servers answer. */
  public static FakeReply openAiNoChoices() {
    ObjectNode body = JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion")
        .put("created", 1_700_000_000L).put("model", "fake");
    body.putArray("choices");
    body.putObject("usage").put("prompt_tokens", 12).put("completion_tokens", 0).put("total_tokens", 12);
    return status(200, body.toString());
  }

  /** A Messages 200 without content blocks. */
  public static FakeReply anthropicNoContent() {
    ObjectNode body = JSON.createObjectNode().put("id", "msg_fake").put("type", "message").put("role", "assistant")
        .put("model", "fake").put("stop_reason", "end_turn").putNull("stop_sequence");
    body.putArray("content");
    body.putObject("usage").put("input_tokens", 12).put("output_tokens", 0);
    return status(200, body.toString());
  }

  /**
   * A generateContent 200 without candidates: with {@code promptFeedback.blockReason} when
   * {@code blockReason} is given (a blocked prompt), else with usage alone.
   */
  public static FakeReply geminiNoCandidates(String blockReason) {
    ObjectNode body = JSON.createObjectNode();
    if (blockReason != null) {
      body.putObject("promptFeedback").put("blockReason", blockReason);
    }
    body.putObject("usageMetadata").put("promptTokenCount", 12).put("totalTokenCount", 12);
    body.put("modelVersion", "fake");
    return status(200, body.toString());
  }

  /** A success of {@code api} with small fixed usage. */
  public static FakeReply ok(FakeProviderServer.Api api, String content) {
    return switch (api) {
      case OPENAI -> openAiOk(content, 12, 7, 0, 0);
      case ANTHROPIC -> anthropicOk(content, 12, 7, 0, 0);
      case GEMINI -> geminiOk(content, 12, 7, 0, 0);
    };
  }

  /** A Chat Completions success with the usage blocks OpenAI documents. */
  public static FakeReply openAiOk(String content, int prompt, int completion, int cached, int reasoning) {
    ObjectNode body = JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion")
        .put("created", 1_700_000_000L).put("model", "fake");
    ObjectNode choice = body.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
    choice.putObject("message").put("role", "assistant").put("content", content);
    ObjectNode usage = body.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
    usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
    usage.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
    return status(200, body.toString());
  }

  /** A Chat Completions success whose message calls one function. */
  public static FakeReply openAiToolCall(String id, String name, String argumentsJson) {
    ObjectNode body = JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion");
    ObjectNode choice = body.putArray("choices").addObject().put("index", 0).put("finish_reason", "tool_calls");
    ObjectNode message = choice.putObject("message").put("role", "assistant").putNull("content");
    message.putArray("tool_calls").addObject().put("id", id).put("type", "function")
        .putObject("function").put("name", name).put("arguments", argumentsJson);
    body.putObject("usage").put("prompt_tokens", 20).put("completion_tokens", 10).put("total_tokens", 30);
    return status(200, body.toString());
  }

  /** OpenAI's error document: {@code {"error":{"message","type","param","code"}}}. */
  public static FakeReply openAiError(int status, String type, String code, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error").put("message", message).put("type", type).putNull("param").put("code", code);
    return status(status, body.toString());
  }

  /** A Messages success; {@code input} excludes cache reads and writes, as Anthropic counts. */
  public static FakeReply anthropicOk(String content, int input, int output, int cacheRead, int cacheCreation) {
    ObjectNode body = JSON.createObjectNode().put("id", "msg_fake").put("type", "message").put("role", "assistant")
        .put("model", "fake").put("stop_reason", "end_turn").putNull("stop_sequence");
    body.putArray("content").addObject().put("type", "text").put("text", content);
    body.putObject("usage").put("input_tokens", input).put("output_tokens", output)
        .put("cache_read_input_tokens", cacheRead).put("cache_creation_input_tokens", cacheCreation);
    return status(200, body.toString());
  }

  /** A Messages success that calls one tool. */
  public static FakeReply anthropicToolUse(String id, String name, String inputJson) {
    try {
      ObjectNode body = JSON.createObjectNode().put("id", "msg_fake").put("type", "message").put("role", "assistant")
          .put("stop_reason", "tool_use");
      body.putArray("content").addObject().put("type", "tool_use").put("id", id).put("name", name)
          .set("input", JSON.readTree(inputJson));
      body.putObject("usage").put("input_tokens", 20).put("output_tokens", 10);
      return status(200, body.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("input is not JSON: " + inputJson, e);
    }
  }

  /** Anthropic's error document: {@code {"type":"error","error":{"type","message"}}}. */
  public static FakeReply anthropicError(int status, String type, String message) {
    ObjectNode body = JSON.createObjectNode().put("type", "error");
    body.putObject("error").put("type", type).put("message", message);
    return status(status, body.toString());
  }

  /** A generateContent success; thoughts are counted apart from candidates, as Gemini does. */
  public static FakeReply geminiOk(String content, int prompt, int candidates, int cached, int thoughts) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode candidate = body.putArray("candidates").addObject().put("finishReason", "STOP").put("index", 0);
    candidate.putObject("content").put("role", "model").putArray("parts").addObject().put("text", content);
    ObjectNode usage = body.putObject("usageMetadata").put("promptTokenCount", prompt)
        .put("candidatesTokenCount", candidates).put("totalTokenCount", prompt + candidates + thoughts);
    if (cached > 0) {
      usage.put("cachedContentTokenCount", cached);
    }
    if (thoughts > 0) {
      usage.put("thoughtsTokenCount", thoughts);
    }
    body.put("modelVersion", "fake");
    return status(200, body.toString());
  }

  /**
   * Google's error document {@code {"error":{"code","message","status","details"}}}, with a
   * {@code RetryInfo} detail when {@code retryDelay} is given (e.g. {@code "2s"}) and a
   * {@code QuotaFailure} naming {@code quotaId} when given.
   */
  public static FakeReply geminiError(int status, String statusText, String message, String retryDelay, String quotaId) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error").put("code", status).put("message", message).put("status", statusText);
    ArrayNode details = error.putArray("details");
    if (quotaId != null) {
      details.addObject().put("@type", "type.googleapis.com/google.rpc.QuotaFailure")
          .putArray("violations").addObject().put("quotaMetric", "generativelanguage.googleapis.com/requests")
          .put("quotaId", quotaId);
    }
    if (retryDelay != null) {
      details.addObject().put("@type", "type.googleapis.com/google.rpc.RetryInfo").put("retryDelay", retryDelay);
    }
    return status(status, body.toString());
  }

  /** Google's answer to an invalid key: 400 INVALID_ARGUMENT with reason API_KEY_INVALID. */
  public static FakeReply geminiInvalidKey() {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error").put("code", 400).put("message", "API key not valid. Please pass a valid API key.")
        .put("status", "INVALID_ARGUMENT");
    error.putArray("details").addObject().put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
        .put("reason", "API_KEY_INVALID").put("domain", "googleapis.com");
    return status(400, body.toString());
  }

  /** The same reply without its token usage ({@code usage} or {@code usageMetadata}), as some servers answer. */
  public FakeReply withoutUsage() {
    try {
      ObjectNode json = (ObjectNode) JSON.readTree(body);
      json.remove(List.of("usage", "usageMetadata"));
      return new FakeReply(status, headers, json.toString(), delay);
    } catch (IOException | ClassCastException e) {
      throw new IllegalStateException("not a JSON object: " + body, e);
    }
  }

  /** The same reply with one more header. */
  public FakeReply header(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new FakeReply(status, h, body, delay);
  }

  /** The same reply, sent after {@code d}. */
  public FakeReply after(Duration d) {
    return new FakeReply(status, headers, body, d);
  }
}
