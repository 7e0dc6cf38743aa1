package io.llmbroker.audit.archive;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes part files as Parquet (zstd) through DuckDB's writer: one row per call with the columns
 * an analyst filters on, and the messages, parameters, tool calls and attempts as JSON text in
 * the OpenAI shapes. {@link #COLUMNS} is the file schema. Thread-safe: each write has its own
 * in-memory database.
 */
public final class ParquetParts {

  /** The file name ending. */
  public static final String EXTENSION = ".parquet";

  /** The columns of every part file, in order, as DuckDB DDL. */
  public static final String COLUMNS = """
      kafka_partition INTEGER, kafka_offset BIGINT,
      request_id VARCHAR, priority VARCHAR, team VARCHAR, app VARCHAR, customer VARCHAR, model VARCHAR,
      provider VARCHAR, served_model VARCHAR, deployment VARCHAR, status VARCHAR, error_class VARCHAR,
      error_message VARCHAR, provider_status INTEGER,
      input_tokens INTEGER, output_tokens INTEGER, cached_input_tokens INTEGER, reasoning_tokens INTEGER,
      tokens_estimated BOOLEAN, cost_micros BIGINT, queued_ms BIGINT, provider_ms BIGINT, total_ms BIGINT,
      attempt_count INTEGER, created_at TIMESTAMP, completed_at TIMESTAMP, recorded_at TIMESTAMP,
      deadline TIMESTAMP, worker VARCHAR, reply_to VARCHAR, batch_id VARCHAR, custom_id VARCHAR,
      traceparent VARCHAR, truncated BOOLEAN, tags MAP(VARCHAR, VARCHAR),
      messages VARCHAR, params VARCHAR, answer VARCHAR, finish_reason VARCHAR, tool_calls VARCHAR,
      attempts VARCHAR
      """;

  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    try {
      Class.forName("org.duckdb.DuckDBDriver");
    } catch (ClassNotFoundException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Writes {@code records} of input {@code partition} to a new file at {@code file}, durably: on
   * return its bytes are on disk.
   *
   * @throws IOException when DuckDB or the file system refuses
   */
  public void write(int partition, List<ArchivedRecord> records, Path file) throws IOException {
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement()) {
      // One core for the writer: the archiver shares the machine with its Streams threads.
      statement.execute("SET threads = 1");
      statement.execute("CREATE TABLE calls (" + COLUMNS + ")");
      try (DuckDBAppender appender = connection.unwrap(DuckDBConnection.class)
          .createAppender(DuckDBConnection.DEFAULT_SCHEMA, "calls")) {
        for (ArchivedRecord record : records) {
          append(appender, partition, record);
        }
      }
      statement.execute("COPY calls TO " + quote(file) + " (FORMAT parquet, COMPRESSION zstd)");
    } catch (SQLException e) {
      throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  /** A path as a DuckDB string literal. */
  public static String quote(Path path) {
    return "'" + path.toAbsolutePath().toString().replace("'", "''") + "'";
  }

  private static void append(DuckDBAppender row, int partition, ArchivedRecord archived) throws SQLException {
    AuditRecord audit = archived.record();
    LlmRequest request = audit.getRequest();
    LlmResponse response = audit.getResponse();
    ErrorInfo error = response.getError();
    row.beginRow();
    row.append(partition);
    row.append(archived.offset());
    row.append(audit.getRequestId());
    row.append(audit.getPriority().name());
    row.append(request.getTeam());
    row.append(request.getApp());
    row.append(request.getCustomer());
    row.append(request.getModel());
    row.append(response.getProvider());
    row.append(response.getModel());
    row.append(response.getDeployment());
    row.append(response.getStatus().name());
    row.append(error == null ? null : error.getErrorClass().name());
    row.append(error == null ? null : error.getMessage());
    row.append(error == null ? null : error.getProviderStatus());
    row.append(response.getUsage().getInputTokens());
    row.append(response.getUsage().getOutputTokens());
    row.append(response.getUsage().getCachedInputTokens());
    row.append(response.getUsage().getReasoningTokens());
    row.append(response.getUsage().getEstimated());
    row.append(response.getCostMicros());
    row.append(response.getTimings().getQueuedMs());
    row.append(response.getTimings().getProviderMs());
    row.append(response.getTimings().getTotalMs());
    row.append(audit.getAttempts().size());
    row.append(time(request.getCreatedAt()));
    row.append(time(response.getCompletedAt()));
    row.append(time(audit.getRecordedAt()));
    row.append(request.getDeadline() == null ? null : time(request.getDeadline()));
    row.append(audit.getWorker());
    row.append(request.getReplyTo());
    row.append(request.getBatchId());
    row.append(request.getCustomId());
    row.append(request.getTrace() == null ? null : request.getTrace().getTraceparent());
    row.append(audit.getTruncated());
    row.append(request.getTags());
    row.append(messages(request.getMessages()).toString());
    row.append(params(request.getParams()).toString());
    row.append(response.getContent());
    row.append(response.getFinishReason());
    row.append(response.getToolCalls() == null ? null : toolCalls(response.getToolCalls()).toString());
    row.append(attempts(audit.getAttempts()).toString());
    row.endRow();
  }

  private static LocalDateTime time(long epochMillis) {
    return LocalDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
  }

  /** OpenAI chat messages: a lone text part becomes a plain string, as the OpenAI API writes it. */
  private static ArrayNode messages(List<ChatMessage> messages) {
    ArrayNode out = JSON.createArrayNode();
    for (ChatMessage message : messages) {
      ObjectNode m = out.addObject().put("role", message.getRole());
      List<ContentPart> parts = message.getContent();
      if (parts.size() == 1 && "text".equals(parts.get(0).getType())) {
        m.put("content", parts.get(0).getText());
      } else {
        ArrayNode content = m.putArray("content");
        for (ContentPart part : parts) {
          ObjectNode p = content.addObject().put("type", part.getType());
          if (part.getText() != null) {
            p.put("text", part.getText());
          }
          if (part.getUrl() != null) {
            p.put("url", part.getUrl());
          }
          if (part.getDetail() != null) {
            p.put("detail", part.getDetail());
          }
        }
      }
      if (message.getName() != null) {
        m.put("name", message.getName());
      }
      if (message.getToolCalls() != null) {
        m.set("tool_calls", toolCalls(message.getToolCalls()));
      }
      if (message.getToolCallId() != null) {
        m.put("tool_call_id", message.getToolCallId());
      }
    }
    return out;
  }

  private static ArrayNode toolCalls(List<ToolCall> calls) {
    ArrayNode out = JSON.createArrayNode();
    for (ToolCall call : calls) {
      ObjectNode c = out.addObject().put("id", call.getId()).put("type", call.getType());
      c.putObject("function").put("name", call.getName()).put("arguments", call.getArguments());
    }
    return out;
  }

  /** Generation parameters under their OpenAI names; unset ones are left out. */
  private static ObjectNode params(GenerationParams params) {
    ObjectNode p = JSON.createObjectNode();
    if (params.getTemperature() != null) {
      p.put("temperature", params.getTemperature());
    }
    if (params.getTopP() != null) {
      p.put("top_p", params.getTopP());
    }
    if (params.getMaxTokens() != null) {
      p.put("max_tokens", params.getMaxTokens());
    }
    if (!params.getStop().isEmpty()) {
      params.getStop().forEach(p.putArray("stop")::add);
    }
    if (params.getSeed() != null) {
      p.put("seed", params.getSeed());
    }
    if (params.getPresencePenalty() != null) {
      p.put("presence_penalty", params.getPresencePenalty());
    }
    if (params.getFrequencyPenalty() != null) {
      p.put("frequency_penalty", params.getFrequencyPenalty());
    }
    if (params.getResponseFormat() != null) {
      ObjectNode format = p.putObject("response_format").put("type", params.getResponseFormat().getType());
      if (params.getResponseFormat().getJsonSchema() != null) {
        format.put("json_schema", params.getResponseFormat().getJsonSchema());
      }
    }
    if (params.getTools() != null) {
      ArrayNode tools = p.putArray("tools");
      for (ToolDefinition tool : params.getTools()) {
        ObjectNode function = tools.addObject().put("type", tool.getType()).putObject("function")
            .put("name", tool.getName());
        if (tool.getDescription() != null) {
          function.put("description", tool.getDescription());
        }
        if (tool.getParametersJson() != null) {
          function.put("parameters", tool.getParametersJson());
        }
      }
    }
    if (params.getToolChoice() != null) {
      p.put("tool_choice", params.getToolChoice());
    }
    return p;
  }

  private static ArrayNode attempts(List<Attempt> attempts) {
    ArrayNode out = JSON.createArrayNode();
    for (Attempt attempt : attempts) {
      ObjectNode a = out.addObject()
          .put("number", attempt.getNumber())
          .put("deployment", attempt.getDeployment())
          .put("provider", attempt.getProvider())
          .put("model", attempt.getModel())
          .put("started_at", Instant.ofEpochMilli(attempt.getStartedAt()).toString())
          .put("duration_ms", attempt.getDurationMs());
      if (attempt.getHttpStatus() != null) {
        a.put("http_status", attempt.getHttpStatus());
      }
      if (attempt.getError() != null) {
        a.put("error_class", attempt.getError().getErrorClass().name()).put("error", attempt.getError().getMessage());
      }
    }
    return out;
  }
}
