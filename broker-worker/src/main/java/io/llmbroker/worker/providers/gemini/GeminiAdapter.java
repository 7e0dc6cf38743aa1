package io.llmbroker.worker.providers.gemini;

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
import io.llmbroker.worker.providers.ProviderException;
import io.llmbroker.worker.providers.ProviderReply;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Google Gemini {@code generateContent} ({@code POST {base}/v1beta/models/{model}:generateContent},
 * {@code x-goog-api-key}). Messages become {@code contents} with roles {@code user} and
 * {@code model}; system and developer messages become {@code systemInstruction}; tool calls
 * become {@code functionCall} parts and tool messages {@code functionResponse} parts;
 * parameters go to {@code generationConfig}.
 *
 * <p>Usage: {@code promptTokenCount} already includes {@code cachedContentTokenCount}; thinking
 * is counted apart from {@code candidatesTokenCount}, so output is candidates plus
 * {@code thoughtsTokenCount} (the reasoning part). Errors
 * {@code {"error":{"code","message","status","details"}}}: a 429 RESOURCE_EXHAUSTED is QUOTA
 * when a violated quota is per day and RATE_LIMITED otherwise, waiting the
 * {@code RetryInfo.retryDelay} when given; an invalid key (400 API_KEY_INVALID) is CREDENTIAL;
 * 504 DEADLINE_EXCEEDED is TIMEOUT. A 200 without candidates is a failure, never an empty answer:
 * CALLER_FAULT when {@code promptFeedback.blockReason} says the prompt was blocked, else
 * TRANSIENT. Thread-safe.
 */
public final class GeminiAdapter extends HttpJsonAdapter {

  private static final Pattern DATA_URL = Pattern.compile("data:([^;,]+);base64,(.*)", Pattern.DOTALL);
  private static final Pattern SECONDS = Pattern.compile("([0-9.]+)s");

  private final String base;
  private final String apiKey;

  public GeminiAdapter(String name, String baseUrl, String apiKey, HttpClient http, Clock clock) {
    super(name, http, clock, apiKey);
    this.base = baseUrl.replaceAll("/+$", "");
    this.apiKey = apiKey;
  }

  @Override
  protected URI uri(ProviderCall call) {
    String model = call.model().startsWith("models/") ? call.model().substring("models/".length()) : call.model();
    return URI.create(base + "/v1beta/models/" + URLEncoder.encode(model, StandardCharsets.UTF_8) + ":generateContent");
  }

  @Override
  protected void authenticate(HttpRequest.Builder request) {
    request.header("x-goog-api-key", apiKey == null ? "" : apiKey);
  }

  @Override
  protected ObjectNode body(ProviderCall call) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode contents = body.putArray("contents");
    StringBuilder system = new StringBuilder();
    Map<String, String> toolNames = new HashMap<>();
    for (ChatMessage m : call.request().getMessages()) {
      switch (m.getRole()) {
        case "system", "developer" -> {
          if (system.length() > 0) {
            system.append("\n\n");
          }
          system.append(Prompts.text(m));
        }
        case "user" -> contents.addObject().put("role", "user").set("parts", parts(m));
        case "assistant" -> {
          ArrayNode parts = parts(m);
          if (m.getToolCalls() != null) {
            for (ToolCall c : m.getToolCalls()) {
              toolNames.put(c.getId(), c.getName());
              parts.addObject().putObject("functionCall").put("name", c.getName())
                  .set("args", parseObject(c.getArguments(), "arguments of tool call " + c.getId()));
            }
          }
          contents.addObject().put("role", "model").set("parts", parts);
        }
        case "tool" -> {
          String name = toolNames.get(required(m.getToolCallId(), "a tool message needs tool_call_id"));
          if (name == null) {
            throw new IllegalArgumentException("tool message answers unknown call " + m.getToolCallId());
          }
          ObjectNode response = JSON.createObjectNode();
          String text = Prompts.text(m);
          try {
            response = (ObjectNode) parseObject(text, "tool result");
          } catch (IllegalArgumentException notJson) {
            response.put("result", text);
          }
          contents.addObject().put("role", "user").putArray("parts").addObject()
              .putObject("functionResponse").put("name", name).set("response", response);
        }
        default -> throw new IllegalArgumentException("message role '" + m.getRole() + "' is not supported");
      }
    }
    if (system.length() > 0) {
      body.putObject("systemInstruction").putArray("parts").addObject().put("text", system.toString());
    }
    GenerationParams p = call.request().getParams();
    if (p != null) {
      params(p, body);
    }
    return body;
  }

  private static ArrayNode parts(ChatMessage m) {
    ArrayNode out = JSON.createArrayNode();
    for (ContentPart part : m.getContent()) {
      switch (part.getType()) {
        case "text" -> out.addObject().put("text", part.getText() == null ? "" : part.getText());
        case "image_url", "file" -> {
          String url = required(part.getUrl(), part.getType() + " part needs a url");
          Matcher data = DATA_URL.matcher(url);
          if (data.matches()) {
            out.addObject().putObject("inlineData").put("mimeType", data.group(1)).put("data", data.group(2));
          } else {
            out.addObject().putObject("fileData").put("fileUri", url);
          }
        }
        default -> throw new IllegalArgumentException("content part type '" + part.getType() + "' is not supported");
      }
    }
    return out;
  }

  private static void params(GenerationParams p, ObjectNode body) {
    ObjectNode config = JSON.createObjectNode();
    if (p.getTemperature() != null) {
      config.put("temperature", p.getTemperature());
    }
    if (p.getTopP() != null) {
      config.put("topP", p.getTopP());
    }
    if (p.getMaxTokens() != null) {
      config.put("maxOutputTokens", p.getMaxTokens());
    }
    if (!p.getStop().isEmpty()) {
      ArrayNode stop = config.putArray("stopSequences");
      p.getStop().forEach(stop::add);
    }
    if (p.getSeed() != null) {
      config.put("seed", p.getSeed());
    }
    if (p.getPresencePenalty() != null) {
      config.put("presencePenalty", p.getPresencePenalty());
    }
    if (p.getFrequencyPenalty() != null) {
      config.put("frequencyPenalty", p.getFrequencyPenalty());
    }
    if (p.getResponseFormat() != null && !"text".equals(p.getResponseFormat().getType())) {
      config.put("responseMimeType", "application/json");
      if (p.getResponseFormat().getJsonSchema() != null) {
        JsonNode schema = parseObject(p.getResponseFormat().getJsonSchema(), "response_format.json_schema");
        config.set("responseJsonSchema", schema.has("schema") ? schema.get("schema") : schema);
      }
    }
    if (!config.isEmpty()) {
      body.set("generationConfig", config);
    }
    if (p.getTools() != null && !p.getTools().isEmpty()) {
      ArrayNode declarations = body.putArray("tools").addObject().putArray("functionDeclarations");
      for (ToolDefinition t : p.getTools()) {
        ObjectNode fn = declarations.addObject().put("name", t.getName());
        if (t.getDescription() != null) {
          fn.put("description", t.getDescription());
        }
        if (t.getParametersJson() != null) {
          fn.set("parametersJsonSchema", parseObject(t.getParametersJson(), "parameters of tool " + t.getName()));
        }
      }
    }
    if (p.getToolChoice() != null) {
      String choice = p.getToolChoice().trim();
      ObjectNode calling = body.putObject("toolConfig").putObject("functionCallingConfig");
      switch (choice) {
        case "auto" -> calling.put("mode", "AUTO");
        case "none" -> calling.put("mode", "NONE");
        case "required" -> calling.put("mode", "ANY");
        default -> {
          JsonNode named = parseObject(choice, "tool_choice");
          calling.put("mode", "ANY").putArray("allowedFunctionNames")
              .add(required(named.path("function").path("name").asText(null), "tool_choice must name a function"));
        }
      }
    }
  }

  @Override
  protected ProviderReply parse(JsonNode json, int status, ProviderCall call) {
    if (json.path("candidates").isEmpty()) {
      String blocked = text(json.path("promptFeedback"), "blockReason");
      if (blocked != null) {
        throw new ProviderException(ErrorClass.CALLER_FAULT, provider() + " " + status + " " + blocked
            + ": the prompt was blocked (promptFeedback.blockReason)", status, blocked, null);
      }
      throw noCompletion(status, json, "no candidates");
    }
    JsonNode candidate = json.path("candidates").path(0);
    StringBuilder content = new StringBuilder();
    List<ToolCall> toolCalls = new ArrayList<>();
    for (JsonNode part : candidate.path("content").path("parts")) {
      if (part.path("thought").asBoolean(false)) {
        continue;
      }
      if (part.has("text")) {
        content.append(part.path("text").asText());
      } else if (part.has("functionCall")) {
        JsonNode fc = part.path("functionCall");
        toolCalls.add(ToolCall.newBuilder()
            .setId(fc.hasNonNull("id") ? fc.get("id").asText() : "call_" + toolCalls.size())
            .setName(fc.path("name").asText())
            .setArguments(fc.path("args").isMissingNode() ? "{}" : fc.path("args").toString())
            .build());
      }
    }
    JsonNode usage = json.path("usageMetadata");
    int thoughts = count(usage, "thoughtsTokenCount");
    TokenUsage tokens = TokenUsage.newBuilder()
        .setInputTokens(count(usage, "promptTokenCount"))
        .setCachedInputTokens(count(usage, "cachedContentTokenCount"))
        .setOutputTokens(count(usage, "candidatesTokenCount") + thoughts)
        .setReasoningTokens(thoughts)
        .build();
    String finish = !toolCalls.isEmpty() ? "tool_calls" : finishReason(text(candidate, "finishReason"));
    return new ProviderReply(content.toString(), toolCalls, finish, tokens, status);
  }

  private static String finishReason(String reason) {
    if (reason == null) {
      return "stop";
    }
    return switch (reason) {
      case "STOP" -> "stop";
      case "MAX_TOKENS" -> "length";
      case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY" -> "content_filter";
      default -> reason.toLowerCase(Locale.ROOT);
    };
  }

  @Override
  protected Failure classify(int status, JsonNode json, Optional<Duration> retryAfter) {
    // Google's front ends sometimes wrap the error document in an array
    JsonNode error = (json.isArray() ? json.path(0) : json).path("error");
    String code = text(error, "status");
    boolean daily = false;
    boolean badKey = false;
    Optional<Duration> delay = retryAfter;
    for (JsonNode detail : error.path("details")) {
      for (JsonNode v : detail.path("violations")) {
        daily |= v.path("quotaId").asText("").contains("PerDay");
      }
      badKey |= "API_KEY_INVALID".equals(detail.path("reason").asText());
      Matcher m = SECONDS.matcher(detail.path("retryDelay").asText(""));
      if (delay.isEmpty() && m.matches()) {
        delay = Optional.of(Duration.ofMillis((long) (Double.parseDouble(m.group(1)) * 1000)));
      }
    }
    ErrorClass errorClass = badKey ? ErrorClass.CREDENTIAL
        : status == 504 || "DEADLINE_EXCEEDED".equals(code) ? ErrorClass.TIMEOUT
        : classOf(status, daily);
    return new Failure(errorClass, code, delay);
  }
}
