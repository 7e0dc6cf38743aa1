package io.llmbroker.worker.providers;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmbroker.runtime.redaction.Secrets;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;

/**
 * Turns what a provider said about a failure into text that is safe to show: the message is
 * read from whatever document came back, then scrubbed of credentials and bounded in length.
 *
 * <p>Documents understood: OpenAI {@code {"error":{"message"}}}, Anthropic
 * {@code {"error":{"type","message"}}}, Gemini {@code {"error":{"code","message","status"}}}
 * (also wrapped in an array), {@code {"error":"..."}} (Ollama), {@code {"message"}},
 * {@code {"detail"}} (FastAPI servers such as vLLM, string or list of {@code {"msg"}}), and any
 * text or HTML body (tags dropped). Scrubbed: the configured key, and strings shaped like keys
 * or tokens ({@link Secrets#text}).
 * Immutable; thread-safe.
 */
final class ErrorText {

  static final int MAX_LENGTH = 500;
  private static final Pattern SPACES = Pattern.compile("\\s+");

  private final String secret;

  /** @param secret the configured key, or {@code null} when there is none */
  ErrorText(String secret) {
    this.secret = secret == null || secret.isBlank() ? null : secret;
  }

  /**
   * The provider's message from its body: {@code json} when the body parsed as JSON, else the
   * raw {@code body}; {@code null} when the body says nothing. Already scrubbed and bounded.
   */
  String read(byte[] body, JsonNode json) {
    String message = json != null ? fromJson(json) : fromText(body);
    return message == null || message.isBlank() ? null : scrub(message);
  }

  /**
   * The text without the key and anything shaped like one, whitespace collapsed, cut to
   * {@value #MAX_LENGTH} characters. Scrubbing comes first so a cut never leaves half a key.
   */
  String scrub(String text) {
    if (text == null) {
      return null;
    }
    String out = Secrets.text(secret == null ? text : text.replace(secret, Secrets.REDACTED));
    out = SPACES.matcher(out).replaceAll(" ").trim();
    return out.length() > MAX_LENGTH ? out.substring(0, MAX_LENGTH) + "..." : out;
  }

  private static String fromJson(JsonNode json) {
    if (json.isArray()) {
      return json.isEmpty() ? null : fromJson(json.get(0));
    }
    if (json.isTextual()) {
      return json.asText();
    }
    JsonNode error = json.path("error");
    if (error.isTextual()) {
      return error.asText();
    }
    String message = firstText(error, "message", "msg", "detail");
    if (message == null) {
      message = firstText(json, "message", "msg", "error_message", "title");
    }
    if (message == null) {
      message = detail(json.path("detail"));
    }
    // a JSON document in a shape we do not know still says something: show it as it is
    return message != null ? message : json.isObject() && !json.isEmpty() ? json.toString() : null;
  }

  private static String detail(JsonNode detail) {
    if (detail.isTextual()) {
      return detail.asText();
    }
    if (detail.isArray()) {
      StringBuilder out = new StringBuilder();
      for (JsonNode item : detail) {
        String msg = item.isTextual() ? item.asText() : firstText(item, "msg", "message");
        if (msg != null) {
          out.append(out.length() == 0 ? "" : "; ").append(msg);
        }
      }
      return out.length() == 0 ? null : out.toString();
    }
    return null;
  }

  private static String firstText(JsonNode node, String... fields) {
    for (String field : fields) {
      JsonNode v = node.get(field);
      if (v != null && v.isTextual() && !v.asText().isBlank()) {
        return v.asText();
      }
    }
    return null;
  }

  private static String fromText(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    // read no more than a page: an error page can be large and only its start is shown
    String text = new String(body, 0, Math.min(body.length, 64 * 1024), StandardCharsets.UTF_8);
    return looksLikeHtml(text) ? Jsoup.parse(text).text() : text;
  }

  private static boolean looksLikeHtml(String text) {
    String start = text.stripLeading();
    return start.startsWith("<") && text.contains(">");
  }
}
