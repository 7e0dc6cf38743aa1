package io.llmbroker.audit.redaction;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.config.RedactionSettings;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ContentPart;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PersonalDataTest {

  private final PersonalData redact = new PersonalData(new RedactionSettings(null, null, null, null, null));

  @Test
  void emailAddressesAreReplaced() {
    assertThat(redact.text("write to jane.doe+x@example.co.uk today")).isEqualTo("write to [EMAIL] today");
  }

  @Test
  void phoneNumbersAreReplacedButShortNumbersAndDatesStay() {
    assertThat(redact.text("call +44 20 7946 0958 or (555) 123-4567")).isEqualTo("call [PHONE] or [PHONE]");
    assertThat(redact.text("order 4821 on 2026-11-23")).isEqualTo("order 4821 on 2026-11-23");
  }

  @Test
  void cardNumbersAreReplacedOnlyWhenTheyPassLuhn() {
    assertThat(redact.text("card 4111 1111 1111 1111 ok")).isEqualTo("card [CARD] ok");
    assertThat(redact.text("ref 4111 1111 1111 1112 ok")).doesNotContain("[CARD]");
  }

  @Test
  void ibansAreReplacedOnlyWhenTheirChecksumHolds() {
    assertThat(redact.text("pay to GB82 WEST 1234 5698 7654 32 please")).isEqualTo("pay to [IBAN] please");
    assertThat(redact.text("pay to DE89370400440532013000.")).isEqualTo("pay to [IBAN].");
    assertThat(redact.text("code GB82WEST12345698765433")).doesNotContain("[IBAN]");
  }

  @Test
  void keyShapedStringsAreReplaced() {
    assertThat(redact.text("my key is sk-proj-abcdefghijklmnop")).isEqualTo("my key is [REDACTED]");
    assertThat(List.of("authorization: bearer abcdefgh12345678", "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE",
        "AIzaSyA1234567890abcdefghij", "ghp_abcdefghijklmnopqrstuvwxyz", "xoxb-1234567890-abcdef",
        "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"))
        .allSatisfy(secret -> assertThat(redact.text("x " + secret + " y")).contains("[REDACTED]").doesNotContain(
            secret.substring(secret.length() - 6)));
  }

  @Test
  void extraPatternsFromConfigApply() {
    PersonalData custom = new PersonalData(new RedactionSettings(null, null, List.of(),
        Map.of("employee", "EMP-\\d{6}"), null));

    assertThat(custom.text("ask EMP-123456 about it")).isEqualTo("ask [EMPLOYEE] about it");
  }

  @Test
  void hashModeGivesOneTokenPerValueSoThatJoinsStillWork() {
    PersonalData hashed = new PersonalData(new RedactionSettings("hash", "0123456789abcdef-secret", null, null, null));

    String a = hashed.text("from Jane@Example.com");
    String b = hashed.text("from jane@example.com");
    String c = hashed.text("from john@example.com");

    assertThat(a).matches("from \\[EMAIL:[0-9a-f]{16}]").isEqualTo(b).isNotEqualTo(c);
  }

  @Test
  void hashModeWithoutAKeyIsRefusedWithoutPrintingTheKey() {
    assertThatThrownBy(() -> AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "x:9092"}
        redaction: {mode: hash, hash-key: short-secret}
        """, Map.of()))
        .hasMessageContaining("redaction").hasMessageContaining("hash-key").hasMessageNotContaining("short-secret");
    assertThat(new RedactionSettings("hash", "0123456789abcdef-secret", null, null, null).toString())
        .doesNotContain("0123456789abcdef-secret");
  }

  @Test
  void aBadPatternOrRuleIsRefusedAtStartNamingIt() {
    assertThatThrownBy(() -> AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "x:9092"}
        redaction: {patterns: {ticket: "TKT-("}}
        """, Map.of())).hasMessageContaining("redaction").hasMessageContaining("patterns.ticket")
        .hasMessageContaining("TKT-(");
    assertThatThrownBy(() -> AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "x:9092"}
        redaction: {rules: [email, passport]}
        """, Map.of())).hasMessageContaining("passport");
  }

  @Test
  void messagesAnswersAndToolArgumentsAreRedactedInTheRecord() {
    AuditRecord in = record("r1", Instant.EPOCH);
    in.getRequest().getMessages().get(0).setContent(List.of(new ContentPart("text", "I am jane@example.com", null, null)));
    in.getResponse().setContent("Noted, jane@example.com");

    AuditRecord out = redact.redact(in);

    assertThat(out.getRequest().getMessages().get(0).getContent().get(0).getText()).isEqualTo("I am [EMAIL]");
    assertThat(out.getResponse().getContent()).isEqualTo("Noted, [EMAIL]");
  }

  @Test
  void aTeamThatOptedOutKeepsItsContent() {
    PersonalData keeping = new PersonalData(new RedactionSettings(null, null, null, null, List.of("search")));
    AuditRecord in = record("r1", Instant.EPOCH);
    in.getResponse().setContent("Noted, jane@example.com");

    assertThat(keeping.redact(in).getResponse().getContent()).isEqualTo("Noted, jane@example.com");
  }
}
