package io.llmbroker.gateway.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.ResponseFormat;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import io.llmbroker.gateway.http.Json;
import io.llmbroker.gateway.http.OpenAiError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads OpenAI's chat completion request JSON. Fields it does not know are ignored, as OpenAI's
 * SDKs send fields a given server may not use; a known field of the wrong type or value is a 400
 * naming it ({@code param}). Stateless.
 */
final class ChatRequestReader {

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

  private ChatRequestReader() {}

  /** @throws OpenAiError 400 naming the problem and the parameter */
  static ChatCall read(byte[] body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw OpenAiError.invalid(null, "We could not parse the JSON body of your request: "
          + (e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw OpenAiError.invalid(null, "The request body must be a JSON object.");
    }
    String model = text(root, "model", "model", true);
    if (model.isBlank()) {
      throw OpenAiError.invalid("model", "you must provide a model parameter");
    }
    JsonNode n = root.path("n");
    if (!n.isMissingNode() && !n.isNull() && !(n.isInt() && n.intValue() == 1)) {
      throw OpenAiError.invalid("n", "Only n=1 is supported.");
    }
    JsonNode options = root.path("stream_options");
    return new ChatCall(model, messages(root.get("messages")), params(root), bool(root, "stream"),
        options.isObject() && bool(options, "include_usage"), user(root), metadata(root));
  }

  /** The end user: {@code user}, or its successor {@code safety_identifier}. */
  private static String user(JsonNode root) {
    String user = text(root, "user", "user", false);
    return user != null ? user : text(root, "safety_identifier", "safety_identifier", false);
  }

  private static List<ChatMessage> messages(JsonNode messages) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw OpenAiError.invalid("messages", "'messages' must be a non-empty array.");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      String at = "messages[" + i + "]";
      JsonNode m = messages.get(i);
      if (!m.isObject()) {
        throw OpenAiError.invalid(at, at + " must be an object.");
      }
      String role = text(m, "role", at + ".role", true);
      if (!ROLES.contains(role)) {
        throw OpenAiError.invalid(at + ".role", "Invalid value for '" + at + ".role': '" + role + "'. Supported: " + ROLES);
      }
      ChatMessage.Builder message = ChatMessage.newBuilder().setRole(role).setContent(content(m.get("content"), at + ".content"))
          .setName(text(m, "name", at + ".name", false))
          .setToolCallId(text(m, "tool_call_id", at + ".tool_call_id", false));
      JsonNode calls = m.get("tool_calls");
      if (calls != null && !calls.isNull()) {
        message.setToolCalls(toolCalls(calls, at + ".tool_calls"));
      }
      if ("tool".equals(role) && message.getToolCallId() == null) {
        throw OpenAiError.invalid(at + ".tool_call_id", "A message with role 'tool' needs 'tool_call_id'.");
      }
      out.add(message.build());
    }
    return out;
  }

  private static List<ContentPart> content(JsonNode content, String at) {
    if (content == null || content.isNull()) {
      return List.of();
    }
    if (content.isTextual()) {
      return List.of(ContentPart.newBuilder().setType("text").setText(content.textValue()).build());
    }
    if (!content.isArray()) {
      throw OpenAiError.invalid(at, "'" + at + "' must be a string or an array of content parts.");
    }
    List<ContentPart> parts = new ArrayList<>();
    for (int i = 0; i < content.size(); i++) {
      String partAt = at + "[" + i + "]";
      JsonNode p = content.get(i);
      if (!p.isObject()) {
        throw OpenAiError.invalid(partAt, "'" + partAt + "' must be an object.");
      }
      String type = text(p, "type", partAt + ".type", true);
      ContentPart.Builder part = ContentPart.newBuilder().setType(type);
      switch (type) {
        case "text", "refusal" -> part.setType("text").setText(text(p, type, partAt + "." + type, true));
        case "image_url" -> {
          JsonNode image = object(p, "image_url", partAt);
          part.setUrl(text(image, "url", partAt + ".image_url.url", true))
              .setDetail(text(image, "detail", partAt + ".image_url.detail", false));
        }
        case "input_audio" -> {
          JsonNode audio = object(p, "input_audio", partAt);
          part.setUrl(text(audio, "data", partAt + ".input_audio.data", true))
              .setDetail(text(audio, "format", partAt + ".input_audio.format", true));
        }
        case "file" -> {
          JsonNode file = object(p, "file", partAt);
          if (file.hasNonNull("file_id") && !file.hasNonNull("file_data")) {
            throw OpenAiError.invalid(partAt + ".file.file_id", "File ids are not supported; send the file inline as 'file_data'.");
          }
          part.setUrl(text(file, "file_data", partAt + ".file.file_data", true));
        }
        default -> throw OpenAiError.invalid(partAt + ".type", "Unsupported content part type '" + type
            + "'. Supported: text, image_url, input_audio, file.");
      }
      parts.add(part.build());
    }
    return parts;
  }

  private static List<ToolCall> toolCalls(JsonNode calls, String at) {
    if (!calls.isArray()) {
      throw OpenAiError.invalid(at, "'" + at + "' must be an array.");
    }
    List<ToolCall> out = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      String callAt = at + "[" + i + "]";
      JsonNode c = calls.get(i);
      JsonNode fn = object(c, "function", callAt);
      out.add(ToolCall.newBuilder().setId(text(c, "id", callAt + ".id", true))
          .setName(text(fn, "name", callAt + ".function.name", true))
          .setArguments(orElse(text(fn, "arguments", callAt + ".function.arguments", false), "{}"))
          .build());
    }
    return out;
  }

  private static GenerationParams params(JsonNode root) {
    GenerationParams.Builder p = GenerationParams.newBuilder();
    p.setTemperature(number(root, "temperature", 0, 2));
    p.setTopP(number(root, "top_p", 0, 1));
    p.setPresencePenalty(number(root, "presence_penalty", -2, 2));
    p.setFrequencyPenalty(number(root, "frequency_penalty", -2, 2));
    Integer maxTokens = integer(root, "max_completion_tokens");
    p.setMaxTokens(maxTokens != null ? maxTokens : integer(root, "max_tokens"));
    JsonNode seed = root.get("seed");
    if (seed != null && !seed.isNull()) {
      if (!seed.canConvertToLong() || !seed.isIntegralNumber()) {
        throw OpenAiError.invalid("seed", "'seed' must be an integer.");
      }
      p.setSeed(seed.longValue());
    }
    p.setStop(stop(root.get("stop")));
    p.setResponseFormat(responseFormat(root.get("response_format")));
    p.setTools(tools(root.get("tools")));
    JsonNode choice = root.get("tool_choice");
    if (choice != null && !choice.isNull()) {
      if (!choice.isTextual() && !choice.isObject()) {
        throw OpenAiError.invalid("tool_choice", "'tool_choice' must be a string or an object.");
      }
      p.setToolChoice(choice.isTextual() ? choice.textValue() : choice.toString());
    }
    return p.build();
  }

  private static List<String> stop(JsonNode stop) {
    if (stop == null || stop.isNull()) {
      return List.of();
    }
    if (stop.isTextual()) {
      return List.of(stop.textValue());
    }
    if (!stop.isArray()) {
      throw OpenAiError.invalid("stop", "'stop' must be a string or an array of strings.");
    }
    List<String> out = new ArrayList<>();
    stop.forEach(s -> {
      if (!s.isTextual()) {
        throw OpenAiError.invalid("stop", "'stop' must be a string or an array of strings.");
      }
      out.add(s.textValue());
    });
    return out;
  }

  private static ResponseFormat responseFormat(JsonNode format) {
    if (format == null || format.isNull()) {
      return null;
    }
    if (!format.isObject()) {
      throw OpenAiError.invalid("response_format", "'response_format' must be an object.");
    }
    String type = text(format, "type", "response_format.type", true);
    switch (type) {
      case "text", "json_object" -> {
        return ResponseFormat.newBuilder().setType(type).build();
      }
      case "json_schema" -> {
        JsonNode schema = object(format, "json_schema", "response_format");
        return ResponseFormat.newBuilder().setType(type).setJsonSchema(schema.toString()).build();
      }
      default -> throw OpenAiError.invalid("response_format.type", "Invalid value for 'response_format.type': '" + type
          + "'. Supported: text, json_object, json_schema.");
    }
  }

  private static List<ToolDefinition> tools(JsonNode tools) {
    if (tools == null || tools.isNull()) {
      return null;
    }
    if (!tools.isArray()) {
      throw OpenAiError.invalid("tools", "'tools' must be an array.");
    }
    List<ToolDefinition> out = new ArrayList<>();
    for (int i = 0; i < tools.size(); i++) {
      String at = "tools[" + i + "]";
      JsonNode t = tools.get(i);
      String type = text(t, "type", at + ".type", true);
      if (!type.equals("function")) {
        throw OpenAiError.invalid(at + ".type", "Only tools of type 'function' are supported: '" + type + "'.");
      }
      JsonNode fn = object(t, "function", at);
      JsonNode parameters = fn.get("parameters");
      if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
        throw OpenAiError.invalid(at + ".function.parameters", "'" + at + ".function.parameters' must be an object.");
      }
      out.add(ToolDefinition.newBuilder().setName(text(fn, "name", at + ".function.name", true))
          .setDescription(text(fn, "description", at + ".function.description", false))
          .setParametersJson(parameters == null || parameters.isNull() ? null : parameters.toString())
          .build());
    }
    return out;
  }

  private static Map<String, String> metadata(JsonNode root) {
    JsonNode metadata = root.get("metadata");
    if (metadata == null || metadata.isNull()) {
      return Map.of();
    }
    if (!metadata.isObject()) {
      throw OpenAiError.invalid("metadata", "'metadata' must be an object of strings.");
    }
    Map<String, String> out = new LinkedHashMap<>();
    metadata.fields().forEachRemaining(e -> {
      if (!e.getValue().isTextual()) {
        throw OpenAiError.invalid("metadata." + e.getKey(), "'metadata' values must be strings.");
      }
      out.put(e.getKey(), e.getValue().textValue());
    });
    return out;
  }

  private static JsonNode object(JsonNode parent, String field, String at) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isObject()) {
      throw OpenAiError.invalid(at + "." + field, "'" + at + "." + field + "' must be an object.");
    }
    return node;
  }

  private static String text(JsonNode parent, String field, String param, boolean required) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      if (required) {
        throw OpenAiError.invalid(param, "Missing required parameter: '" + param + "'.");
      }
      return null;
    }
    if (!node.isTextual()) {
      throw OpenAiError.invalid(param, "Invalid type for '" + param + "': expected a string, but got " + kind(node) + ".");
    }
    return node.textValue();
  }

  private static boolean bool(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw OpenAiError.invalid(field, "Invalid type for '" + field + "': expected a boolean, but got " + kind(node) + ".");
    }
    return node.booleanValue();
  }

  private static Float number(JsonNode parent, String field, double min, double max) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber()) {
      throw OpenAiError.invalid(field, "Invalid type for '" + field + "': expected a number, but got " + kind(node) + ".");
    }
    double v = node.doubleValue();
    if (v < min || v > max) {
      throw OpenAiError.invalid(field, "Invalid '" + field + "': " + v + " is outside [" + min + ", " + max + "].");
    }
    return (float) v;
  }

  private static Integer integer(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isInt() || node.intValue() < 1) {
      throw OpenAiError.invalid(field, "Invalid '" + field + "': expected an integer >= 1, but got " + node + ".");
    }
    return node.intValue();
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case STRING -> "a string";
      default -> node.getNodeType().name().toLowerCase();
    };
  }

  private static String orElse(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
