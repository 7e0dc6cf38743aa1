package io.llmbroker.client.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import org.junit.jupiter.api.Test;

class OpenAiBatchFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aChatCompletionLineBecomesMessagesAndParameters() throws Exception {
    String text = """
        {"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"fast",\
        "messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],\
        "temperature":0.2,"max_completion_tokens":50,"stop":"END","seed":7}}""";

    BatchLine line = OpenAiBatchFormat.parse(text, 3, true);

    assertThat(line.customId()).isEqualTo("r1");
    assertThat(line.model()).isEqualTo("fast");
    assertThat(line.messages()).extracting(m -> m.getRole() + ":" + m.getContent().get(0).getText())
        .containsExactly("system:be brief", "user:hi");
    assertThat(line.params().getTemperature()).isEqualTo(0.2f);
    assertThat(line.params().getMaxTokens()).isEqualTo(50);
    assertThat(line.params().getStop()).containsExactly("END");
    assertThat(line.params().getSeed()).isEqualTo(7L);
  }

  @Test
  void malformedJsonIsRejectedWithItsReason() {
    assertThatThrownBy(() -> OpenAiBatchFormat.parse("{\"custom_id\": \"a\",", 1, true))
        .isInstanceOf(InvalidLineException.class).hasMessageStartingWith("malformed JSON");
  }

  @Test
  void aLineForAnotherEndpointIsRejectedNamingTheUrl() {
    String text = "{\"custom_id\":\"e1\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"m\",\"input\":\"x\"}}";

    assertThatThrownBy(() -> OpenAiBatchFormat.parse(text, 1, true))
        .isInstanceOf(InvalidLineException.class).hasMessageContaining("unsupported url '/v1/embeddings'")
        .extracting(e -> ((InvalidLineException) e).customId()).isEqualTo("e1");
  }

  @Test
  void aLineWithoutCustomIdIsRejected() {
    String text = "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}";

    assertThatThrownBy(() -> OpenAiBatchFormat.parse(text, 1, true))
        .isInstanceOf(InvalidLineException.class).hasMessageContaining("custom_id is missing");
  }

  @Test
  void aBodyThatIsNotAChatRequestIsRejected() {
    String noMessages = "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"prompt\":\"x\"}}";
    String badRole = "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}}";

    assertThatThrownBy(() -> OpenAiBatchFormat.parse(noMessages, 1, true))
        .isInstanceOf(InvalidLineException.class).hasMessageContaining("not a chat request");
    assertThatThrownBy(() -> OpenAiBatchFormat.parse(badRole, 1, true))
        .isInstanceOf(InvalidLineException.class).hasMessageContaining("body.messages[0].role").hasMessageContaining("robot");
  }

  @Test
  void anAnswerBecomesAnOpenAiOutputLine() throws Exception {
    LlmResponse ok = response(ResponseStatus.OK).setContent("Paris").setFinishReason("stop").build();

    JsonNode line = JSON.readTree(OpenAiBatchFormat.outputLine(ok, "q1"));

    assertThat(line.path("custom_id").asText()).isEqualTo("q1");
    assertThat(line.path("response").path("status_code").asInt()).isEqualTo(200);
    assertThat(line.path("response").path("body").path("choices").get(0).path("message").path("content").asText()).isEqualTo("Paris");
    assertThat(line.path("response").path("body").path("usage").path("total_tokens").asInt()).isEqualTo(12);
    assertThat(line.path("error").isNull()).isTrue();
  }

  @Test
  void aFailureCarriesTheProviderStatusAndAnError() throws Exception {
    LlmResponse failed = response(ResponseStatus.ERROR)
        .setError(ErrorInfo.newBuilder().setErrorClass(ErrorClass.RATE_LIMITED).setMessage("slow down").setProviderStatus(429).build())
        .build();

    JsonNode line = JSON.readTree(OpenAiBatchFormat.outputLine(failed, "q2"));

    assertThat(line.path("response").path("status_code").asInt()).isEqualTo(429);
    assertThat(line.path("error").path("code").asText()).isEqualTo("error");
    assertThat(line.path("error").path("message").asText()).isEqualTo("slow down");
  }

  private static LlmResponse.Builder response(ResponseStatus status) {
    return LlmResponse.newBuilder().setRequestId("b-1-abc").setStatus(status).setModel("fast")
        .setUsage(TokenUsage.newBuilder().setInputTokens(10).setOutputTokens(2).build())
        .setTimings(Timings.newBuilder().setReceivedAt(1).build()).setCompletedAt(1_700_000_000_000L);
  }
}
