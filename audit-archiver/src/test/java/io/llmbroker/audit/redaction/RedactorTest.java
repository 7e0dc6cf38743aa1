package io.llmbroker.audit.redaction;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.AuditRecord;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactorTest {

  private final Redactor redactor = Redactor.secrets();

  @Test
  void blanksEverySecretLookingTagWhateverItsCase() {
    AuditRecord original = record("r1", Instant.EPOCH, Map.of("X-API-KEY", "k1", "access_token", "t1",
        "db_password", "p1", "client-secret", "s1", "apiKey", "k2", "team", "search"));

    AuditRecord redacted = redactor.redact(original);

    assertThat(redacted.getRequest().getTags()).containsOnly(
        Map.entry("X-API-KEY", "[REDACTED]"), Map.entry("access_token", "[REDACTED]"),
        Map.entry("db_password", "[REDACTED]"), Map.entry("client-secret", "[REDACTED]"),
        Map.entry("apiKey", "[REDACTED]"), Map.entry("team", "search"));
  }

  @Test
  void leavesTheGivenRecordUntouched() {
    AuditRecord original = record("r1", Instant.EPOCH, Map.of("authorization", "Bearer x"));

    redactor.redact(original);

    assertThat(original.getRequest().getTags()).containsEntry("authorization", "Bearer x");
  }
}
