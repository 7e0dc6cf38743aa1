package io.llmbroker.gateway.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.avro.GatewayBatchError;
import io.llmbroker.avro.GatewayFile;
import io.llmbroker.gateway.http.Json;

/**
 * OpenAI's {@code file} and {@code batch} objects, and a batch's full status: the stored part
 * (validating, failed, cancelled, in_progress) refined by its progress (completed, expired).
 * Batches go from {@code in_progress} straight to {@code completed}: there is nothing to
 * finalize, the output is read from the reply topic when asked for. Stateless.
 */
final class BatchObjects {

  static final String OUTPUT_PREFIX = "file-output-";
  static final String ERRORS_PREFIX = "file-errors-";

  private BatchObjects() {}

  static ObjectNode file(GatewayFile f) {
    return file(f.getId(), f.getBytes(), f.getCreatedAt(), f.getFilename(), f.getPurpose());
  }

  static ObjectNode file(String id, long bytes, long createdAt, String filename, String purpose) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("id", id);
    node.put("object", "file");
    node.put("bytes", bytes);
    node.put("created_at", createdAt / 1000);
    node.put("filename", filename);
    node.put("purpose", purpose);
    node.put("status", "processed");
    node.putNull("expires_at");
    node.putNull("status_details");
    return node;
  }

  /** The status OpenAI would show now. */
  static String status(GatewayBatch batch, BatchProgress.Counts counts, long now) {
    if (!batch.getStatus().equals("in_progress")) {
      return batch.getStatus();
    }
    if (counts.answered() >= batch.getTotal()) {
      return "completed";
    }
    return now >= batch.getExpiresAt() ? "expired" : "in_progress";
  }

  static ObjectNode batch(GatewayBatch batch, BatchProgress.Counts counts, long now) {
    String status = status(batch, counts, now);
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("id", batch.getId());
    node.put("object", "batch");
    node.put("endpoint", batch.getEndpoint());
    if (batch.getErrors().isEmpty()) {
      node.putNull("errors");
    } else {
      ObjectNode errors = node.putObject("errors").put("object", "list");
      for (GatewayBatchError e : batch.getErrors()) {
        ObjectNode error = errors.withArray("data").addObject();
        error.put("code", e.getCode());
        error.put("message", e.getMessage());
        error.put("param", e.getParam());
        if (e.getLine() == null) {
          error.putNull("line");
        } else {
          error.put("line", e.getLine());
        }
      }
    }
    node.put("input_file_id", batch.getInputFileId());
    node.put("completion_window", batch.getCompletionWindow());
    node.put("status", status);
    boolean over = status.equals("completed") || status.equals("expired") || status.equals("cancelled");
    int succeeded = counts.answered() - counts.failed();
    node.put("output_file_id", over && succeeded > 0 ? OUTPUT_PREFIX + batch.getId() : null);
    node.put("error_file_id", over && counts.failed() > 0 ? ERRORS_PREFIX + batch.getId() : null);
    node.put("created_at", seconds(batch.getCreatedAt()));
    node.put("in_progress_at", seconds(batch.getInProgressAt()));
    node.put("expires_at", seconds(batch.getExpiresAt()));
    node.put("finalizing_at", status.equals("completed") ? seconds(counts.lastAnswerAt()) : null);
    node.put("completed_at", status.equals("completed") ? seconds(counts.lastAnswerAt()) : null);
    node.put("failed_at", seconds(batch.getFailedAt()));
    node.put("expired_at", status.equals("expired") ? seconds(batch.getExpiresAt()) : null);
    node.put("cancelling_at", seconds(batch.getCancelledAt()));
    node.put("cancelled_at", seconds(batch.getCancelledAt()));
    ObjectNode requestCounts = node.putObject("request_counts");
    requestCounts.put("total", batch.getTotal());
    requestCounts.put("completed", succeeded);
    requestCounts.put("failed", counts.failed());
    ObjectNode metadata = node.putObject("metadata");
    batch.getMetadata().forEach(metadata::put);
    return node;
  }

  private static Long seconds(Long millis) {
    return millis == null ? null : millis / 1000;
  }
}
