package io.llmbroker.runtime.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {

  @Test
  void blanksEverySecretLookingKeyWhateverItsCase() {
    Map<String, String> tags = Map.of("X-API-KEY", "k1", "access_token", "t1", "db_password", "p1",
        "client-secret", "s1", "apiKey", "k2", "team", "search");

    Map<String, String> redacted = Secrets.tags(tags);

    assertThat(redacted).containsOnly(
        Map.entry("X-API-KEY", "[REDACTED]"), Map.entry("access_token", "[REDACTED]"),
        Map.entry("db_password", "[REDACTED]"), Map.entry("client-secret", "[REDACTED]"),
        Map.entry("apiKey", "[REDACTED]"), Map.entry("team", "search"));
  }

  @Test
  void replacesCredentialShapedValuesUnderInnocentKeys() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("note", "key is sk-proj-AbCdEf0123456789xyz, keep it");
    tags.put("hdr", "Bearer eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM");
    tags.put("aws", "AKIAIOSFODNN7EXAMPLE");
    tags.put("anthropic", "sk-ant-api03-abcdefghijklmnop");
    tags.put("google", "AIzaSyA1234567890abcdefghijklmnopqrstu");
    tags.put("gh", "ghp_abcdefghijklmnopqrstuvwxyz0123");
    tags.put("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghij");
    tags.put("plain", "desk-42 risk-free basic plan");

    Map<String, String> redacted = Secrets.tags(tags);

    assertThat(redacted).containsEntry("note", "key is [REDACTED], keep it")
        .containsEntry("hdr", "[REDACTED]")
        .containsEntry("aws", "[REDACTED]")
        .containsEntry("anthropic", "[REDACTED]")
        .containsEntry("google", "[REDACTED]")
        .containsEntry("gh", "[REDACTED]")
        .containsEntry("jwt", "[REDACTED]")
        .containsEntry("plain", "desk-42 risk-free basic plan");
  }

  @Test
  void scrubsErrorTextsAndLeavesTheGivenRecordUntouched() {
    LlmResponse response = LlmResponse.newBuilder()
        .setRequestId("r1").setStatus(ResponseStatus.ERROR).setCompletedAt(0)
        .setTimings(Timings.newBuilder().setReceivedAt(0).build())
        .setError(ErrorInfo.newBuilder().setErrorClass(ErrorClass.CREDENTIAL)
            .setMessage("Incorrect API key provided: sk-live-1234567890abcdef.").build())
        .build();

    LlmResponse redacted = Secrets.response(response);

    assertThat(redacted.getError().getMessage()).isEqualTo("Incorrect API key provided: [REDACTED].");
    assertThat(response.getError().getMessage()).contains("sk-live-1234567890abcdef");
  }

  @Test
  void returnsTheSameInstanceWhenNothingMatches() {
    Map<String, String> tags = Map.of("team", "search");

    assertThat(Secrets.tags(tags)).isSameAs(tags);
    assertThat(Secrets.text("a plain message")).isEqualTo("a plain message");
  }
}
