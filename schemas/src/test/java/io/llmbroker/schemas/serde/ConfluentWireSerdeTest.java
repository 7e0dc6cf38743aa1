package io.llmbroker.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.schemas.Samples;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Confluent wire format against a registry speaking the Confluent REST API over real HTTP. */
class ConfluentWireSerdeTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
  private final List<String> registeredSubjects = new CopyOnWriteArrayList<>();
  private HttpServer registry;

  @BeforeEach
  void startRegistry() throws IOException {
    registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry.createContext("/subjects/", ex -> {
      String subject = ex.getRequestURI().getPath().split("/")[2];
      String schema = JSON.readTree(ex.getRequestBody()).path("schema").asText();
      registeredSubjects.add(subject);
      int id = schemasById.entrySet().stream().filter(e -> e.getValue().equals(schema))
          .map(Map.Entry::getKey).findFirst().orElseGet(() -> {
            schemasById.put(schemasById.size() + 1, schema);
            return schemasById.size();
          });
      respond(ex, 200, "application/vnd.schemaregistry.v1+json", "{\"id\":" + id + "}");
    });
    registry.createContext("/schemas/ids/", ex -> {
      int id = Integer.parseInt(ex.getRequestURI().getPath().substring("/schemas/ids/".length()));
      String schema = schemasById.get(id);
      if (schema == null) {
        respond(ex, 404, "application/json", "{\"error_code\":40403,\"message\":\"Schema not found\"}");
      } else {
        respond(ex, 200, "application/json", JSON.createObjectNode().put("schema", schema).toString());
      }
    });
    registry.start();
  }

  @AfterEach
  void stopRegistry() {
    registry.stop(0);
  }

  @Test
  void writesMagicByteAndRegisteredIdAndReadsItBack() {
    Serde<LlmResponse> serde = AvroSerdes.fromConfig(Map.of(AvroSerdes.SCHEMA_REGISTRY_URL, url()))
        .serde(LlmResponse.class);

    byte[] bytes = serde.serializer().serialize("llm.responses.ranker", Samples.response());
    LlmResponse read = serde.deserializer().deserialize("llm.responses.ranker", bytes);

    assertThat(bytes[0]).isZero();
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(1);
    assertThat(registeredSubjects).containsOnly("llm.responses.ranker-value");
    assertThat(read).isEqualTo(Samples.response());
  }

  @Test
  void anUnknownSchemaIdFailsNamingTheId() {
    Serde<LlmResponse> serde = AvroSerdes.confluent(URI.create(url())).serde(LlmResponse.class);
    byte[] bytes = {0, 0, 0, 0, 42, 1, 2};

    assertThatThrownBy(() -> serde.deserializer().deserialize("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("42");
  }

  @Test
  void singleObjectBytesAreNotMistakenForTheConfluentFormat() {
    byte[] singleObject = AvroSerdes.singleObject().serde(LlmResponse.class).serializer().serialize("t", Samples.response());
    Serde<LlmResponse> confluent = AvroSerdes.confluent(URI.create(url())).serde(LlmResponse.class);

    assertThatThrownBy(() -> confluent.deserializer().deserialize("t", singleObject))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Confluent wire format");
  }

  private String url() {
    return "http://127.0.0.1:" + registry.getAddress().getPort();
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
