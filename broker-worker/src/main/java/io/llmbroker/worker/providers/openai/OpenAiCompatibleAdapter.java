package io.llmbroker.worker.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import io.llmbroker.worker.providers.HttpJsonAdapter;
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

/**
 * OpenAI Chat Completions ({@code POST {base}/chat/completions}, Bearer key), which also
 * serves every vendor that speaks the same API (Azure OpenAI, vLLM, Ollama, Groq, Mistral...)
 * through its base URL; a vendor without keys gets no Authorization header.
 *
 * <p>Usage: {@code prompt_tokens} (with {@code prompt_tokens_details.cached_tokens} as the
 * cached part), {@code completion_tokens} (with
 * {@code completion_tokens_details.reasoning_tokens}). Errors {@code {"error":{"message",
 * "type","code"}}}: a 429 whose code or type is {@code insufficient_quota} is QUOTA, any other
 * 429 RATE_LIMITED. A 200 with no {@code choices} is a TRANSIENT failure, never an empty answer.
 * Thread-safe.
 */
public final class OpenAiCompatibleAdapter extends HttpJsonAdapter {

  private final URI endpoint;
  private final String apiKey;

  /** @param apiKey the key, or {@code null} for a keyless local server */
  public OpenAiCompatibleAdapter(String name, String baseUrl, String apiKey, HttpClient http, Clock clock) {
    super(name, http, clock, apiKey);
    this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/chat/completions");
    this.apiKey = apiKey;
  }

  @Override
  protected URI uri(ProviderCall call) {
    return endpoint;
  }

  @Override
  protected void authenticate(HttpRequest.Builder request) {
    if (apiKey != null && !apiKey.isEmpty()) {
      request.header("authorization", "Bearer " + apiKey);
    }
  }

  @Override
  protected ObjectNode body(ProviderCall call) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", call.model());
    ArrayNode messages = body.putArray("messages");
    for (ChatMessage m : call.request().getMessages()) {
      messages.add(message(m));
    }
    GenerationParams p = call.request().getParams();
    if (p != null) {
      params(p, body);
    }
    return body;
  }

  private static ObjectNode message(ChatMessage m) {
    ObjectNode out = JSON.createObjectNode();
    out.put("role", m.getRole());
    List<ContentPart> parts = m.getContent();
    boolean textOnly = parts.stream().allMatch(p -> "text".equals(p.getType()));
    if (parts.isEmpty()) {
      out.putNull("content");
    } else if (textOnly && parts.size() == 1) {
      out.put("content", parts.get(0).getText() == null ? "" : parts.get(0).getText());
    } else {
      ArrayNode content = out.putArray("content");
      for (ContentPart part : parts) {
        content.add(part(part));
      }
    }
    if (m.getName() != null) {
      out.put("name", m.getName());
    }
    if (m.getToolCalls() != null && !m.getToolCalls().isEmpty()) {
      ArrayNode calls = out.putArray("tool_calls");
      for (ToolCall c : m.getToolCalls()) {
        ObjectNode call = calls.addObject();
        call.put("id", c.getId());
        call.put("type", "function");
        call.putObject("function").put("name", c.getName()).put("arguments", c.getArguments());
      }
    }
    if (m.getToolCallId() != null) {
      out.put("tool_call_id", m.getToolCallId());
    }
    return out;
  }

  private static ObjectNode part(ContentPart part) {
    ObjectNode out = JSON.createObjectNode();
    switch (part.getType()) {
      case "text" -> out.put("type", "text").put("text", part.getText() == null ? "" : part.getText());
      case "image_url" -> {
        out.put("type", "image_url");
        ObjectNode image = out.putObject("image_url").put("url", required(part.getUrl(), "image_url part needs a url"));
        if (part.getDetail() != null) {
          image.put("detail", part.getDetail());
        }
      }
      case "file" -> out.put("type", "file").putObject("file")
          .put("file_data", required(part.getUrl(), "file part needs a url"));
      default -> throw new IllegalArgumentException("content part type '" + part.getType() + "' is not supported");
    }
    return out;
  }

  private static void params(GenerationParams p, ObjectNode body) {
    if (p.getTemperature() != null) {
      body.put("temperature", p.getTemperature());
    }
    if (p.getTopP() != null) {
      body.put("top_p", p.getTopP());
    }
    if (p.getMaxTokens() != null) {
      body.put("max_tokens", p.getMaxTokens());
    }
    if (!p.getStop().isEmpty()) {
      ArrayNode stop = body.putArray("stop");
      p.getStop().forEach(stop::add);
    }
    if (p.getSeed() != null) {
      body.put("seed", p.getSeed());
    }
    if (p.getPresencePenalty() != null) {
      body.put("presence_penalty", p.getPresencePenalty());
    }
    if (p.getFrequencyPenalty() != null) {
      body.put("frequency_penalty", p.getFrequencyPenalty());
    }
    if (p.getResponseFormat() != null) {
      ObjectNode format = body.putObject("response_format").put("type", p.getResponseFormat().getType());
      if ("json_schema".equals(p.getResponseFormat().getType())) {
        JsonNode schema = parseObject(required(p.getResponseFormat().getJsonSchema(), "json_schema format needs a schema"),
            "response_format.json_schema");
        // accept both the full {name, schema} object and a bare JSON Schema
        format.set("json_schema", schema.has("schema") ? schema
            : JSON.createObjectNode().put("name", "response").set("schema", schema));
      }
    }
    if (p.getTools() != null && !p.getTools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolDefinition t : p.getTools()) {
        ObjectNode fn = tools.addObject().put("type", "function").putObject("function").put("name", t.getName());
        if (t.getDescription() != null) {
          fn.put("description", t.getDescription());
        }
        if (t.getParametersJson() != null) {
          fn.set("parameters", parseObject(t.getParametersJson(), "parameters of tool " + t.getName()));
        }
      }
    }
    if (p.getToolChoice() != null) {
      String choice = p.getToolChoice().trim();
      if (choice.startsWith("{")) {
        body.set("tool_choice", parseObject(choice, "tool_choice"));
      } else {
        body.put("tool_choice", choice);
      }
    }
  }

  @Override
  protected ProviderReply parse(JsonNode json, int status, ProviderCall call) {
    if (json.path("choices").isEmpty()) {
      throw noCompletion(status, json, "no choices");
    }
    JsonNode choice = json.path("choices").path(0);
    JsonNode message = choice.path("message");
    List<ToolCall> toolCalls = new ArrayList<>();
    for (JsonNode c : message.path("tool_calls")) {
      toolCalls.add(ToolCall.newBuilder()
          .setId(c.path("id").asText())
          .setName(c.path("function").path("name").asText())
          .setArguments(c.path("function").path("arguments").asText("{}"))
          .build());
    }
    JsonNode usage = json.path("usage");
    TokenUsage tokens = TokenUsage.newBuilder()
        .setInputTokens(count(usage, "prompt_tokens"))
        .setOutputTokens(count(usage, "completion_tokens"))
        .setCachedInputTokens(count(usage.path("prompt_tokens_details"), "cached_tokens"))
        .setReasoningTokens(count(usage.path("completion_tokens_details"), "reasoning_tokens"))
        .build();
    String finish = text(choice, "finish_reason");
    return new ProviderReply(text(message, "content"), toolCalls, finish == null ? "stop" : finish, tokens, status);
  }

  @Override
  protected Failure classify(int status, JsonNode json, Optional<Duration> retryAfter) {
    JsonNode error = json.path("error");
    String code = text(error, "code");
    String type = text(error, "type");
    boolean quota = "insufficient_quota".equals(code) || "insufficient_quota".equals(type);
    return new Failure(classOf(status, quota), code != null ? code : type, retryAfter);
  }
}
