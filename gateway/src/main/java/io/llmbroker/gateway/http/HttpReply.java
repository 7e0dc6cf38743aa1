package io.llmbroker.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A complete HTTP answer: status, content type, body and extra headers. Immutable.
 *
 * @param outcome a short word for logs and metrics ({@code ok}, an error code, ...)
 */
public record HttpReply(int status, String contentType, byte[] body, Map<String, String> headers, String outcome) {

  public HttpReply {
    headers = Map.copyOf(headers);
  }

  public static HttpReply json(int status, JsonNode body) {
    return new HttpReply(status, "application/json", write(body), Map.of(), "ok");
  }

  public static HttpReply error(OpenAiError e) {
    Map<String, String> headers = e.retry() ? Map.of() : Map.of("x-should-retry", "false");
    String outcome = e.code() != null ? e.code() : String.valueOf(e.status());
    return new HttpReply(e.status(), "application/json", write(e.body()), headers, outcome);
  }

  public static HttpReply eventStream(String events) {
    return new HttpReply(200, "text/event-stream; charset=utf-8", events.getBytes(StandardCharsets.UTF_8),
        Map.of("Cache-Control", "no-cache"), "ok");
  }

  private static byte[] write(JsonNode body) {
    try {
      return Json.MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }
}
