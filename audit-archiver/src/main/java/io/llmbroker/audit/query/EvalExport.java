package io.llmbroker.audit.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * {@code audit export}: calls as JSON lines in OpenAI's shapes. {@code openai-chat} is an eval or
 * fine-tuning set: each answered call's messages followed by the answer it got, one
 * {@code {"messages": [...]}} per line. {@code openai-batch} is a Batch API input file to run the
 * same prompts elsewhere: {@code {"custom_id": <request id>, "method": "POST", "url":
 * "/v1/chat/completions", "body": {...}}}.
 */
public final class EvalExport {

  /** The export formats. */
  public enum Format { OPENAI_CHAT, OPENAI_BATCH }

  private static final ObjectMapper JSON = new ObjectMapper();

  private EvalExport() {}

  /**
   * Writes the calls matching {@code where} (an SQL condition over the {@code calls} view; null
   * for all) in request time order; openai-chat takes only calls answered {@code OK} with text.
   *
   * @return how many lines were written
   * @throws SQLException when {@code where} is not valid SQL over the view
   */
  public static long write(ArchiveQuery archive, String where, Format format, PrintWriter out)
      throws SQLException, IOException {
    String condition = where == null || where.isBlank() ? "TRUE" : where;
    String answered = format == Format.OPENAI_CHAT ? " AND status = 'OK' AND answer IS NOT NULL" : "";
    long n = 0;
    try (PreparedStatement statement = archive.connection().prepareStatement(
        "SELECT request_id, model, messages, params, answer FROM calls WHERE (" + condition + ")" + answered
            + " ORDER BY created_at, request_id");
        ResultSet rs = statement.executeQuery()) {
      while (rs.next()) {
        ArrayNode messages = (ArrayNode) JSON.readTree(rs.getString("messages"));
        ObjectNode line = JSON.createObjectNode();
        if (format == Format.OPENAI_CHAT) {
          messages.addObject().put("role", "assistant").put("content", rs.getString("answer"));
          line.set("messages", messages);
        } else {
          ObjectNode body = ((ObjectNode) JSON.readTree(rs.getString("params"))).deepCopy();
          line.put("custom_id", rs.getString("request_id")).put("method", "POST").put("url", "/v1/chat/completions");
          ObjectNode ordered = JSON.createObjectNode().put("model", rs.getString("model"));
          ordered.set("messages", messages);
          ordered.setAll(body);
          line.set("body", ordered);
        }
        out.println(line);
        n++;
      }
    }
    out.flush();
    return n;
  }
}
