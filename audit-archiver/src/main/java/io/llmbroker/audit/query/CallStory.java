package io.llmbroker.audit.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** {@code audit show}: one call's whole story, from request to answer, as text for people. */
public final class CallStory {

  private static final ObjectMapper JSON = new ObjectMapper();

  private CallStory() {}

  /**
   * Prints the call with {@code requestId}, or the only call whose id starts with it.
   *
   * @return false when no call (or more than one) matches; the reason is printed
   */
  public static boolean print(ArchiveQuery archive, String requestId, PrintWriter out) throws SQLException {
    List<Map<String, Object>> rows = archive.rows(
        "SELECT * FROM calls WHERE request_id = ? OR starts_with(request_id, ?) ORDER BY request_id = ? DESC LIMIT 3",
        requestId, requestId, requestId);
    if (rows.isEmpty()) {
      out.println("no call with request id " + requestId + " in the archive");
      return false;
    }
    if (rows.size() > 1 && !rows.get(0).get("request_id").equals(requestId)) {
      out.println("several calls start with " + requestId + ": " + rows.stream().map(r -> r.get("request_id")).toList());
      return false;
    }
    Map<String, Object> c = rows.get(0);
    out.printf("request   %s   (%s, archived in partition %s at offset %s)%n", c.get("request_id"), c.get("priority"),
        c.get("kafka_partition"), c.get("kafka_offset"));
    out.printf("from      team %s, app %s%s%s%n", c.get("team"), c.get("app"),
        c.get("customer") == null ? "" : ", customer " + c.get("customer"),
        c.get("batch_id") == null ? "" : ", batch " + c.get("batch_id") + " / " + c.get("custom_id"));
    out.printf("model     %s%n", c.get("model"));
    out.printf("tags      %s%n", c.get("tags"));
    out.printf("created   %s%s%n", c.get("created_at"), c.get("deadline") == null ? "" : ", deadline " + c.get("deadline"));
    out.printf("params    %s%n", c.get("params"));
    out.println("messages");
    for (JsonNode m : json(c.get("messages"))) {
      out.printf("  %-9s %s%n", m.path("role").asText(), m.path("content").isTextual() ? m.path("content").asText()
          : m.path("content").toString());
    }
    out.println("attempts");
    for (JsonNode a : json(c.get("attempts"))) {
      out.printf("  #%d %s (%s/%s) at %s, %d ms%s%s%n", a.path("number").asInt(), a.path("deployment").asText(),
          a.path("provider").asText(), a.path("model").asText(), a.path("started_at").asText(),
          a.path("duration_ms").asLong(), a.has("http_status") ? ", HTTP " + a.path("http_status").asInt() : "",
          a.has("error_class") ? ", " + a.path("error_class").asText() + ": " + a.path("error").asText() : "");
    }
    out.printf("outcome   %s%s by %s%s, served by %s/%s (%s)%n", c.get("status"),
        c.get("error_class") == null ? "" : " " + c.get("error_class") + ": " + c.get("error_message"),
        c.get("worker"), c.get("truncated").equals(Boolean.TRUE) ? " (texts truncated)" : "",
        c.get("provider"), c.get("served_model"), c.get("deployment"));
    out.printf("timings   queued %s ms, provider %s ms, total %s ms; completed %s%n", c.get("queued_ms"),
        c.get("provider_ms"), c.get("total_ms"), c.get("completed_at"));
    out.printf("tokens    %s in (%s cached), %s out (%s reasoning)%s%n", c.get("input_tokens"),
        c.get("cached_input_tokens"), c.get("output_tokens"), c.get("reasoning_tokens"),
        Boolean.TRUE.equals(c.get("tokens_estimated")) ? ", estimated" : "");
    out.printf("cost      $%s%n", BigDecimal.valueOf(((Number) c.get("cost_micros")).longValue(), 6).toPlainString());
    out.printf("answer    %s%s%n", Objects.toString(c.get("answer"), ""),
        c.get("tool_calls") == null ? "" : "\n  tool calls " + c.get("tool_calls"));
    if (c.get("finish_reason") != null) {
      out.printf("finish    %s%n", c.get("finish_reason"));
    }
    out.flush();
    return true;
  }

  private static JsonNode json(Object text) {
    try {
      return text == null ? JSON.createArrayNode() : JSON.readTree(text.toString());
    } catch (java.io.IOException e) {
      return JSON.createArrayNode();
    }
  }
}
