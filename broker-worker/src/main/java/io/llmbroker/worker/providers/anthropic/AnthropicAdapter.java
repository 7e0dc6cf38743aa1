package io.llmbroker.worker.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import io.llmbroker.worker.providers.HttpJsonAdapter;
import io.llmbroker.worker.providers.Prompts;
import io.llmbroker.worker.providers.ProviderCall;
import io.llmbroker.worker.providers.ProviderReply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Anthropic Messages ({@code POST {base}/v1/messages}, {@code x-api-key},
 * {@code anthropic-version: 2023-06-01}). System and developer messages become the separate
 * {@code system} prompt; tool calls become {@code tool_use} blocks and tool messages
 * {@code tool_result} blocks; {@code max_tokens}, required by the API, defaults to
 * {@value #DEFAULT_MAX_TOKENS}. {@code seed} and {@code response_format} have no equivalent
 * and are not sent.
 *
 * <p>Usage: the API's {@code input_tokens} excludes cache reads and writes, so the broker's
 * input is {@code input_tokens + cache_read_input_tokens + cache_creation_input_tokens} and
 * the cached part is {@code cache_read_input_tokens}. Errors
 * {@code {"type":"error","error":{"type","message"}}}: 529 {@code overloaded_error} is
 * TRANSIENT, 429 RATE_LIMITED, 402 {@code billing_error} QUOTA. A 200 with no content blocks is a
 * TRANSIENT failure, never an empty answer. Thread-safe.
 */
public final class AnthropicAdapter extends HttpJsonAdapter {

  static final int DEFAULT_MAX_TOKENS = 4096;
  private static final Pattern DATA_URL = Pattern.compile("data:([^;,]+);base64,(.*)", Pattern.DOTALL);

  private final URI endpoint;
  private final String apiKey;

  public AnthropicAdapter(String name, String baseUrl, String apiKey, HttpClient http, Clock clock) {
    super(name, http, clock, apiKey);
    this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/messages");
    this.apiKey = apiKey;
  }

  @Override
  protected URI uri(ProviderCall call) {
    return endpoint;
  }

  @Override
  protected void authenticate(HttpRequest.Builder request) {
    request.header("x-api-key", apiKey == null ? "" : apiKey);
    request.header("anthropic-version", "2023-06-01");
  }

  @Override
  protected ObjectNode body(ProviderCall call) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", call.model());
    GenerationParams p = call.request().getParams();
    body.put("max_tokens", p != null && p.getMaxTokens() != null ? p.getMaxTokens() : DEFAULT_MAX_TOKENS);
    StringBuilder system = new StringBuilder();
    ArrayNode messages = body.putArray("messages");
    for (ChatMessage m : call.request().getMessages()) {
      switch (m.getRole()) {
        case "system", "developer" -> {
          if (system.length() > 0) {
            system.append("\n\n");
          }
          system.append(Prompts.text(m));
        }
        case "user" -> messages.addObject().put("role", "user").set("content", blocks(m));
        case "assistant" -> messages.addObject().put("role", "assistant").set("content", blocks(m));
        case "tool" -> {
          ObjectNode result = JSON.createObjectNode().put("type", "tool_result")
              .put("tool_use_id", required(m.getToolCallId(), "a tool message needs tool_call_id"))
              .put("content", Prompts.text(m));
          messages.addObject().put("role", "user").putArray("content").add(result);
        }
        default -> throw new IllegalArgumentException("message role '" + m.getRole() + "' is not supported");
      }
    }
    if (system.length() > 0) {
      body.put("system", system.toString());
    }
    if (p != null) {
      params(p, body);
    }
    return body;
  }

  private static ArrayNode blocks(ChatMessage m) {
    ArrayNode out = JSON.createArrayNode();
    for (ContentPart part : m.getContent()) {
      switch (part.getType()) {
        case "text" -> out.addObject().put("type", "text").put("text", part.getText() == null ? "" : part.getText());
        case "image_url" -> out.addObject().put("type", "image").set("source", source(required(part.getUrl(), "image_url part needs a url")));
        default -> throw new IllegalArgumentException("content part type '" + part.getType() + "' is not supported");
      }
    }
    if (m.getToolCalls() != null) {
      for (ToolCall c : m.getToolCalls()) {
        out.addObject().put("type", "tool_use").put("id", c.getId()).put("name", c.getName())
            .set("input", parseObject(c.getArguments(), "arguments of tool call " + c.getId()));
      }
    }
    return out;
  }

  private static ObjectNode source(String url) {
    Matcher data = DATA_URL.matcher(url);
    if (data.matches()) {
      return JSON.createObjectNode().put("type", "base64").put("media_type", data.group(1)).put("data", data.group(2));
    }
    return JSON.createObjectNode().put("type", "url").put("url", url);
  }

  private static void params(GenerationParams p, ObjectNode body) {
    if (p.getTemperature() != null) {
      body.put("temperature", p.getTemperature());
    }
    if (p.getTopP() != null) {
      body.put("top_p", p.getTopP());
    }
    if (!p.getStop().isEmpty()) {
      ArrayNode stop = body.putArray("stop_sequences");
      p.getStop().forEach(stop::add);
    }
    if (p.getTools() != null && !p.getTools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolDefinition t : p.getTools()) {
        ObjectNode tool = tools.addObject().put("name", t.getName());
        if (t.getDescription() != null) {
          tool.put("description", t.getDescription());
        }
        tool.set("input_schema", t.getParametersJson() == null
            ? JSON.createObjectNode().put("type", "object")
            : parseObject(t.getParametersJson(), "parameters of tool " + t.getName()));
      }
    }
    if (p.getToolChoice() != null) {
      String choice = p.getToolChoice().trim();
      ObjectNode out = body.putObject("tool_choice");
      switch (choice) {
        case "auto" -> out.put("type", "auto");
        case "none" -> out.put("type", "none");
        case "required" -> out.put("type", "any");
        default -> {
          JsonNode named = parseObject(choice, "tool_choice");
          out.put("type", "tool").put("name", required(named.path("function").path("name").asText(null),
              "tool_choice must name a function"));
        }
      }
    }
  }

  @Override
  protected ProviderReply parse(JsonNode json, int status, ProviderCall call) {
    if (json.path("content").isEmpty()) {
      throw noCompletion(status, json, "no content blocks (stop_reason " + text(json, "stop_reason") + ")");
    }
    StringBuilder content = new StringBuilder();
    List<ToolCall> toolCalls = new ArrayList<>();
    for (JsonNode block : json.path("content")) {
      switch (block.path("type").asText()) {
        case "text" -> content.append(block.path("text").asText());
        case "tool_use" -> toolCalls.add(ToolCall.newBuilder()
            .setId(block.path("id").asText())
            .setName(block.path("name").asText())
            .setArguments(block.path("input").isMissingNode() ? "{}" : block.path("input").toString())
            .build());
        default -> { }
      }
    }
    JsonNode usage = json.path("usage");
    int cacheRead = count(usage, "cache_read_input_tokens");
    TokenUsage tokens = TokenUsage.newBuilder()
        .setInputTokens(count(usage, "input_tokens") + cacheRead + count(usage, "cache_creation_input_tokens"))
        .setCachedInputTokens(cacheRead)
        .setOutputTokens(count(usage, "output_tokens"))
        .build();
    return new ProviderReply(content.toString(), toolCalls, finishReason(text(json, "stop_reason")), tokens, status);
  }

  private static String finishReason(String stopReason) {
    if (stopReason == null) {
      return "stop";
    }
    return switch (stopReason) {
      case "end_turn", "stop_sequence", "pause_turn" -> "stop";
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> stopReason;
    };
  }

  @Override
  protected Failure classify(int status, JsonNode json, Optional<Duration> retryAfter) {
    String type = text(json.path("error"), "type");
    ErrorClass errorClass = "overloaded_error".equals(type) ? ErrorClass.TRANSIENT
        : "billing_error".equals(type) ? ErrorClass.QUOTA
        : classOf(status, false);
    return new Failure(errorClass, type, retryAfter);
  }
}
