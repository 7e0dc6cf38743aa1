package io.llmbroker.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A minimal client of the Confluent Schema Registry REST API, as also served by Karapace,
 * Redpanda and Apicurio's ccompat API: register a schema under a subject, fetch a schema by
 * id. Results are cached forever, as ids are immutable. Thread-safe.
 *
 * <p>Written by hand because Confluent's client is not on Maven Central.
 */
final class SchemaRegistryClient {

  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;
  private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  SchemaRegistryClient(URI base) {
    this.base = URI.create(base.toString().replaceAll("/+$", "") + "/");
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
  int register(String subject, Schema schema) {
    return idsBySubjectAndSchema.computeIfAbsent(subject + '\n' + schema, k -> {
      String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
      HttpRequest request = HttpRequest.newBuilder(path("subjects/" + encode(subject) + "/versions"))
          .header("Content-Type", CONTENT_TYPE)
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
      return send(request, "register a schema under subject " + subject).path("id").asInt();
    });
  }

  /** The schema with the given global id. */
  Schema schema(int id) {
    return schemasById.computeIfAbsent(id, k -> {
      HttpRequest request = HttpRequest.newBuilder(path("schemas/ids/" + id)).GET().build();
      return new Schema.Parser().parse(send(request, "fetch schema id " + id).path("schema").asText());
    });
  }

  private JsonNode send(HttpRequest request, String what) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new SerializationException("schema registry " + base + " refused to " + what + ": HTTP "
            + response.statusCode() + " " + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SerializationException("schema registry " + base + " unreachable, cannot " + what + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SerializationException("interrupted while trying to " + what, e);
    }
  }

  private URI path(String relative) {
    return base.resolve(relative);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
