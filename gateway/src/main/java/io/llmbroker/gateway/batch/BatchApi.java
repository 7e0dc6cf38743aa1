package io.llmbroker.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.avro.GatewayFile;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.client.batch.OpenAiBatchFormat;
import io.llmbroker.gateway.http.ApiRequest;
import io.llmbroker.gateway.http.HttpReply;
import io.llmbroker.gateway.http.Json;
import io.llmbroker.gateway.http.OpenAiError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * OpenAI's Files and Batch APIs over {@link Batches}: {@code POST /v1/files} (multipart, purpose
 * {@code batch}), {@code GET /v1/files/{id}} and {@code /content}, {@code POST /v1/batches},
 * {@code GET /v1/batches[/{id}]}, {@code POST /v1/batches/{id}/cancel}. An app sees its own files
 * and batches only. Work that reads Kafka runs on {@code io}, never on an HTTP thread. Thread-safe.
 */
public final class BatchApi {

  /** How long a batch may take: OpenAI's only window, and what its requests' deadline becomes. */
  private static final Map<String, Duration> WINDOWS = Map.of("24h", Duration.ofHours(24));

  private final Batches batches;
  private final Executor io;
  private final Clock clock;

  public BatchApi(Batches batches, Executor io, Clock clock) {
    this.batches = batches;
    this.io = io;
    this.clock = clock;
  }

  public CompletionStage<HttpReply> uploadFile(ApiRequest request) {
    MultipartForm form = MultipartForm.parse(request.header("Content-Type"), request.body());
    String purpose = form.field("purpose").orElseThrow(() -> OpenAiError.invalid("purpose", "Missing required parameter: 'purpose'."));
    if (!purpose.equals("batch")) {
      throw OpenAiError.invalid("purpose", "Only purpose 'batch' is supported: '" + purpose + "'.");
    }
    MultipartForm.Part file = form.file("file").orElseThrow(() -> OpenAiError.invalid("file", "Missing required parameter: 'file'."));
    String app = request.caller().app().getId();
    return async(() -> HttpReply.json(200, BatchObjects.file(batches.files().upload(app, file.filename(), purpose, file.content()))));
  }

  public CompletionStage<HttpReply> getFile(ApiRequest request) {
    String id = request.path().substring("/v1/files/".length());
    return async(() -> {
      if (id.startsWith(BatchObjects.OUTPUT_PREFIX) || id.startsWith(BatchObjects.ERRORS_PREFIX)) {
        boolean errors = id.startsWith(BatchObjects.ERRORS_PREFIX);
        GatewayBatch batch = outputBatch(request, id);
        byte[] content = output(batch, errors);
        return HttpReply.json(200, BatchObjects.file(id, content.length, batch.getCreatedAt(),
            batch.getId() + (errors ? "_errors.jsonl" : "_output.jsonl"), "batch_output"));
      }
      return HttpReply.json(200, BatchObjects.file(file(request, id)));
    });
  }

  public CompletionStage<HttpReply> fileContent(ApiRequest request) {
    String id = request.path().substring("/v1/files/".length(), request.path().length() - "/content".length());
    return async(() -> {
      byte[] content;
      if (id.startsWith(BatchObjects.OUTPUT_PREFIX) || id.startsWith(BatchObjects.ERRORS_PREFIX)) {
        content = output(outputBatch(request, id), id.startsWith(BatchObjects.ERRORS_PREFIX));
      } else {
        content = batches.files().content(file(request, id));
      }
      return new HttpReply(200, "application/octet-stream", content, Map.of(), "ok");
    });
  }

  public CompletionStage<HttpReply> createBatch(ApiRequest request) {
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(request.body());
    } catch (IOException e) {
      throw OpenAiError.invalid(null, "We could not parse the JSON body of your request.");
    }
    if (body == null || !body.isObject()) {
      throw OpenAiError.invalid(null, "The request body must be a JSON object.");
    }
    String endpoint = text(body, "endpoint");
    if (!OpenAiBatchFormat.CHAT_COMPLETIONS.equals(endpoint)) {
      throw OpenAiError.invalid("endpoint", "Only endpoint '" + OpenAiBatchFormat.CHAT_COMPLETIONS + "' is supported: '" + endpoint + "'.");
    }
    String window = text(body, "completion_window");
    if (!WINDOWS.containsKey(window)) {
      throw OpenAiError.invalid("completion_window", "completion_window must be '24h': '" + window + "'.");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    JsonNode meta = body.path("metadata");
    if (meta.isObject()) {
      meta.fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
    }
    String inputFileId = text(body, "input_file_id");
    return async(() -> {
      GatewayFile input = file(request, inputFileId);
      GatewayBatch batch = batches.create(request.caller(), input, window, WINDOWS.get(window), metadata);
      return HttpReply.json(200, BatchObjects.batch(batch, batches.progress().counts(batch), clock.millis()));
    });
  }

  public CompletionStage<HttpReply> getBatch(ApiRequest request) {
    String id = request.path().substring("/v1/batches/".length());
    return async(() -> {
      GatewayBatch batch = batch(request, id);
      return HttpReply.json(200, BatchObjects.batch(batch, batches.progress().counts(batch), clock.millis()));
    });
  }

  public CompletionStage<HttpReply> listBatches(ApiRequest request) {
    return async(() -> {
      List<GatewayBatch> all = batches.list(request.caller().app().getId());
      ObjectNode root = Json.MAPPER.createObjectNode().put("object", "list");
      var data = root.putArray("data");
      all.forEach(b -> data.add(BatchObjects.batch(b, batches.progress().counts(b), clock.millis())));
      root.put("first_id", all.isEmpty() ? null : all.get(0).getId());
      root.put("last_id", all.isEmpty() ? null : all.get(all.size() - 1).getId());
      root.put("has_more", false);
      return HttpReply.json(200, root);
    });
  }

  public CompletionStage<HttpReply> cancelBatch(ApiRequest request) {
    String id = request.path().substring("/v1/batches/".length(), request.path().length() - "/cancel".length());
    return async(() -> {
      GatewayBatch batch = batch(request, id);
      String status = BatchObjects.status(batch, batches.progress().counts(batch), clock.millis());
      if (!status.equals("validating") && !status.equals("in_progress")) {
        throw new OpenAiError(409, "invalid_request_error", "batch_not_cancellable", null,
            "Batch " + id + " is " + status + " and can no longer be cancelled.", false);
      }
      GatewayBatch cancelled = batches.cancel(batch);
      return HttpReply.json(200, BatchObjects.batch(cancelled, batches.progress().counts(cancelled), clock.millis()));
    });
  }

  private GatewayFile file(ApiRequest request, String id) {
    return batches.files().find(request.caller().app().getId(), id)
        .orElseThrow(() -> OpenAiError.notFound(null, null, "No such File object: " + id));
  }

  private GatewayBatch batch(ApiRequest request, String id) {
    return batches.find(request.caller().app().getId(), id)
        .orElseThrow(() -> OpenAiError.notFound(null, null, "No such Batch object: " + id));
  }

  private GatewayBatch outputBatch(ApiRequest request, String fileId) {
    String prefix = fileId.startsWith(BatchObjects.OUTPUT_PREFIX) ? BatchObjects.OUTPUT_PREFIX : BatchObjects.ERRORS_PREFIX;
    return batches.find(request.caller().app().getId(), fileId.substring(prefix.length()))
        .orElseThrow(() -> OpenAiError.notFound(null, null, "No such File object: " + fileId));
  }

  /** The output (or error) file: one OpenAI output line per first answer. */
  private byte[] output(GatewayBatch batch, boolean errors) {
    StringBuilder out = new StringBuilder();
    batches.progress().answers(batch, errors, (LlmResponse r) -> {
      boolean failed = OpenAiBatchFormat.failed(r);
      if (errors == failed) {
        out.append(OpenAiBatchFormat.outputLine(r, r.getCustomId())).append('\n');
      }
    });
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String text(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || !node.isTextual()) {
      throw OpenAiError.invalid(field, "Missing required parameter: '" + field + "'.");
    }
    return node.textValue();
  }

  private CompletionStage<HttpReply> async(Supplier<HttpReply> work) {
    return CompletableFuture.supplyAsync(work, io);
  }
}
