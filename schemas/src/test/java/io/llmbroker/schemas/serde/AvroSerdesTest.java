package io.llmbroker.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.schemas.Samples;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSerdesTest {

  private final AvroSerdes serdes = AvroSerdes.singleObject();

  @Test
  void requestSurvivesARoundTripWithEveryField() {
    Serde<LlmRequest> serde = serdes.serde(LlmRequest.class);
    LlmRequest request = Samples.request();

    byte[] bytes = serde.serializer().serialize("llm.requests.standard", request);
    LlmRequest decoded = serde.deserializer().deserialize("llm.requests.standard", bytes);

    assertThat(decoded).isEqualTo(request);
  }

  @Test
  void singleObjectEncodingStartsWithTheAvroMarker() {
    byte[] bytes = serdes.serde(LlmResponse.class).serializer().serialize("t", Samples.response());

    assertThat(Arrays.copyOf(bytes, 2)).containsExactly(0xC3, 0x01);
  }

  @Test
  void garbageFailsWithAMessageNamingTypeAndTopic() {
    Serde<LlmRequest> serde = serdes.serde(LlmRequest.class);

    assertThatThrownBy(() -> serde.deserializer().deserialize("llm.requests.batch", new byte[] {1, 2, 3}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("LlmRequest")
        .hasMessageContaining("llm.requests.batch");
  }

  @Test
  void bytesOfAnotherTypeAreRejectedNotMisread() {
    byte[] response = serdes.serde(LlmResponse.class).serializer().serialize("t", Samples.response());

    assertThatThrownBy(() -> serdes.serde(LlmRequest.class).deserializer().deserialize("t", response))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void noRegistryUrlMeansSingleObjectAndABadUrlIsNamed() {
    assertThat(AvroSerdes.fromConfig(Map.of("bootstrap.servers", "x:9092")).serde(LlmRequest.class))
        .isInstanceOf(SingleObjectSerde.class);

    assertThatThrownBy(() -> AvroSerdes.fromConfig(Map.of(AvroSerdes.SCHEMA_REGISTRY_URL, "ftp://registry")))
        .hasMessageContaining("schema.registry.url")
        .hasMessageContaining("ftp://registry");
  }
}
