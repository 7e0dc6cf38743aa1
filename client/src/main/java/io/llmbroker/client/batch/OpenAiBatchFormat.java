package io.llmbroker.client.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseFormat;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The OpenAI Batch file formats. Input: one JSON object per line with {@code custom_id},
 * {@code method} ({@code POST}), {@code url} ({@code /v1/chat/completions}) and {@code body} (a
 * chat completion request). Output: {@code {"id", "custom_id", "response": {"status_code",
 * "request_id", "body"}, "error": {"code", "message"}}} per line. Stateless and thread-safe.
 */
public final class OpenAiBatchFormat {

  /** The only endpoint a batch line may address. */
  public static final String CHAT_COMPLETIONS = "/v1/chat/completions";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

  private OpenAiBatchFormat() {}

  /**
   * Reads one input line.
   *
   * @param modelRequired whether the body must name a model (false when the submission overrides it)
   * @throws InvalidLineException naming the field that is missing or wrong
   */
  public static BatchLine parse(String text, long line, boolean modelRequired) throws InvalidLineException {
    if (text.isBlank()) {
      throw new InvalidLineException(null, "empty line");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidLineException(null, "malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidLineException(null, "a line must be a JSON object");
    }
    JsonNode idNode = root.get("custom_id");
    if (idNode == null || !idNode.isTextual() || idNode.asText().isBlank()) {
      throw new InvalidLineException(null, "custom_id is missing or not a non-empty string");
    }
    String customId = idNode.asText();
    try {
      String method = root.path("method").asText(null);
      if (!"POST".equals(method)) {
        throw new IllegalArgumentException("method must be POST: '" + method + "'");
      }
      String url = root.path("url").asText(null);
      if (!CHAT_COMPLETIONS.equals(url)) {
        throw new IllegalArgumentException("unsupported url '" + url + "': only " + CHAT_COMPLETIONS + " is supported");
      }
      JsonNode body = root.get("body");
      if (body == null || !body.isObject()) {
        throw new IllegalArgumentException("body must be a JSON object holding a chat completion request");
      }
      return new BatchLine(line, customId, model(body, modelRequired), messages(body), params(body));
    } catch (IllegalArgumentException e) {
      throw new InvalidLineException(customId, e.getMessage());
    }
  }

  private static String model(JsonNode body, boolean required) {
    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      if (required) {
        throw new IllegalArgumentException("body.model is missing (or pass a model for every line)");
      }
      return null;
    }
    if (!model.isTextual() || model.asText().isBlank()) {
      throw new IllegalArgumentException("body.model must be a non-empty string: " + model);
    }
    return model.asText();
  }

  private static List<ChatMessage> messages(JsonNode body) {
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new IllegalArgumentException("body is not a chat request: body.messages must be a non-empty array");
    }
    if (body.path("stream").asBoolean(false)) {
      throw new IllegalArgumentException("body.stream must not be true in a batch");
    }
    if (body.path("n").asInt(1) != 1) {
      throw new IllegalArgumentException("body.n must be 1: " + body.get("n"));
    }
    List<ChatMessage> out = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      out.add(message(messages.get(i), "body.messages[" + i + "]"));
    }
    return out;
  }

  private static ChatMessage message(JsonNode m, String path) {
    if (!m.isObject()) {
      throw new IllegalArgumentException(path + " must be an object");
    }
    String role = m.path("role").asText(null);
    if (role == null || !ROLES.contains(role)) {
      throw new IllegalArgumentException(path + ".role must be one of " + ROLES + ": '" + role + "'");
    }
    ChatMessage.Builder b = ChatMessage.newBuilder().setRole(role).setContent(content(m.get("content"), path + ".content"));
    b.setName(text(m, "name", path));
    b.setToolCallId(text(m, "tool_call_id", path));
    JsonNode calls = m.get("tool_calls");
    if (calls != null && !calls.isNull()) {
      if (!calls.isArray()) {
        throw new IllegalArgumentException(path + ".tool_calls must be an array");
      }
      List<ToolCall> toolCalls = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        JsonNode c = calls.get(i);
        String name = c.path("function").path("name").asText(null);
        if (name == null) {
          throw new IllegalArgumentException(path + ".tool_calls[" + i + "].function.name is missing");
        }
        toolCalls.add(ToolCall.newBuilder().setId(c.path("id").asText("")).setName(name)
            .setArguments(c.path("function").path("arguments").asText("{}")).build());
      }
      b.setToolCalls(toolCalls);
    }
    return b.build();
  }

  private static List<ContentPart> content(JsonNode content, String path) {
    if (content == null || content.isNull()) {
      return List.of();
    }
    if (content.isTextual()) {
      return List.of(ContentPart.newBuilder().setType("text").setText(content.asText()).build());
    }
    if (!content.isArray()) {
      throw new IllegalArgumentException(path + " must be a string or an array of parts");
    }
    List<ContentPart> parts = new ArrayList<>();
    for (int i = 0; i < content.size(); i++) {
      JsonNode p = content.get(i);
      String at = path + "[" + i + "]";
      String type = p.path("type").asText(null);
      ContentPart.Builder part = ContentPart.newBuilder().setType(type == null ? "text" : type);
      switch (type == null ? "" : type) {
        case "text" -> part.setText(required(p, "text", at));
        case "image_url" -> part.setUrl(required(p.path("image_url"), "url", at + ".image_url"))
            .setDetail(p.path("image_url").path("detail").asText(null));
        case "input_audio" -> part.setUrl(required(p.path("input_audio"), "data", at + ".input_audio"))
            .setDetail(p.path("input_audio").path("format").asText(null));
        case "file" -> part.setUrl(p.path("file").path("file_data").asText(p.path("file").path("file_id").asText(null)))
            .setDetail(p.path("file").path("filename").asText(null));
        default -> throw new IllegalArgumentException(at + ".type must be text, image_url, input_audio or file: '" + type + "'");
      }
      parts.add(part.build());
    }
    return parts;
  }

  private static GenerationParams params(JsonNode body) {
    GenerationParams.Builder p = GenerationParams.newBuilder();
    p.setTemperature(floatOf(body, "temperature"));
    p.setTopP(floatOf(body, "top_p"));
    p.setPresencePenalty(floatOf(body, "presence_penalty"));
    p.setFrequencyPenalty(floatOf(body, "frequency_penalty"));
    Integer maxTokens = intOf(body, "max_completion_tokens");
    p.setMaxTokens(maxTokens != null ? maxTokens : intOf(body, "max_tokens"));
    JsonNode seed = body.get("seed");
    if (seed != null && !seed.isNull()) {
      if (!seed.canConvertToLong()) {
        throw new IllegalArgumentException("body.seed must be an integer: " + seed);
      }
      p.setSeed(seed.asLong());
    }
    JsonNode stop = body.get("stop");
    if (stop != null && !stop.isNull()) {
      List<String> stops = new ArrayList<>();
      if (stop.isTextual()) {
        stops.add(stop.asText());
      } else if (stop.isArray()) {
        stop.forEach(s -> stops.add(s.asText()));
      } else {
        throw new IllegalArgumentException("body.stop must be a string or an array of strings: " + stop);
      }
      p.setStop(stops);
    }
    JsonNode format = body.get("response_format");
    if (format != null && !format.isNull()) {
      JsonNode schema = format.get("json_schema");
      p.setResponseFormat(ResponseFormat.newBuilder().setType(format.path("type").asText("text"))
          .setJsonSchema(schema == null || schema.isNull() ? null : schema.toString()).build());
    }
    JsonNode tools = body.get("tools");
    if (tools != null && !tools.isNull()) {
      if (!tools.isArray()) {
        throw new IllegalArgumentException("body.tools must be an array");
      }
      List<ToolDefinition> defs = new ArrayList<>();
      for (int i = 0; i < tools.size(); i++) {
        JsonNode f = tools.get(i).path("function");
        JsonNode parameters = f.get("parameters");
        defs.add(ToolDefinition.newBuilder().setName(required(f, "name", "body.tools[" + i + "].function"))
            .setDescription(f.path("description").asText(null))
            .setParametersJson(parameters == null || parameters.isNull() ? null : parameters.toString()).build());
      }
      p.setTools(defs);
    }
    JsonNode choice = body.get("tool_choice");
    if (choice != null && !choice.isNull()) {
      p.setToolChoice(choice.isTextual() ? choice.asText() : choice.toString());
    }
    return p.build();
  }

  private static String required(JsonNode node, String field, String path) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(path + "." + field + " must be a string");
    }
    return v.asText();
  }

  private static String text(JsonNode node, String field, String path) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException(path + "." + field + " must be a string: " + v);
    }
    return v.asText();
  }

  private static Float floatOf(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException("body." + field + " must be a number: " + v);
    }
    return v.floatValue();
  }

  private static Integer intOf(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw new IllegalArgumentException("body." + field + " must be a positive integer: " + v);
    }
    return v.asInt();
  }

  /** Whether a response counts as a failure, and so also goes to the errors file. */
  public static boolean failed(LlmResponse response) {
    return response.getStatus() != ResponseStatus.OK;
  }

  /** The output line of one reply: an OpenAI chat.completion body, or an error. */
  public static String outputLine(LlmResponse r, String customId) {
    ObjectNode line = JSON.createObjectNode();
    line.put("id", r.getRequestId());
    line.put("custom_id", customId);
    ObjectNode response = line.putObject("response");
    response.put("request_id", r.getRequestId());
    if (r.getStatus() == ResponseStatus.OK) {
      response.put("status_code", 200);
      response.set("body", completion(r));
      line.putNull("error");
      return line.toString();
    }
    String message = r.getError() != null ? r.getError().getMessage() : "request ended with status " + r.getStatus();
    String code = r.getStatus().name().toLowerCase(Locale.ROOT);
    response.put("status_code", statusCode(r));
    ObjectNode error = response.putObject("body").putObject("error");
    error.put("message", message);
    error.put("type", r.getError() != null ? r.getError().getErrorClass().name().toLowerCase(Locale.ROOT) : code);
    error.put("code", r.getError() != null && r.getError().getProviderCode() != null ? r.getError().getProviderCode() : code);
    ObjectNode top = line.putObject("error");
    top.put("code", code);
    top.put("message", message);
    return line.toString();
  }

  /** The output line of an input line that was never enqueued because it is invalid. */
  public static String invalidLine(String requestId, LineError error) {
    ObjectNode line = JSON.createObjectNode();
    line.put("id", requestId);
    line.put("custom_id", error.customId());
    line.putNull("response");
    ObjectNode e = line.putObject("error");
    e.put("code", "invalid_line");
    e.put("message", error.toString());
    return line.toString();
  }

  private static int statusCode(LlmResponse r) {
    if (r.getError() != null && r.getError().getProviderStatus() != null) {
      return r.getError().getProviderStatus();
    }
    return switch (r.getStatus()) {
      case INVALID -> 400;
      case REJECTED -> 403;
      case EXPIRED -> 408;
      case ERROR -> 502;
      default -> 500;
    };
  }

  private static ObjectNode completion(LlmResponse r) {
    ObjectNode body = JSON.createObjectNode();
    body.put("id", r.getRequestId());
    body.put("object", "chat.completion");
    body.put("created", r.getCompletedAt() / 1000);
    body.put("model", r.getModel());
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", r.getContent());
    if (r.getToolCalls() != null && !r.getToolCalls().isEmpty()) {
      ArrayNode calls = message.putArray("tool_calls");
      for (ToolCall c : r.getToolCalls()) {
        ObjectNode call = calls.addObject();
        call.put("id", c.getId());
        call.put("type", c.getType());
        call.putObject("function").put("name", c.getName()).put("arguments", c.getArguments());
      }
    }
    choice.put("finish_reason", r.getFinishReason());
    ObjectNode usage = body.putObject("usage");
    int in = r.getUsage().getInputTokens();
    int out = r.getUsage().getOutputTokens();
    usage.put("prompt_tokens", in);
    usage.put("completion_tokens", out);
    usage.put("total_tokens", in + out);
    return body;
  }
}
