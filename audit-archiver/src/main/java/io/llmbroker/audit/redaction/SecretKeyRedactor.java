package io.llmbroker.audit.redaction;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.LlmRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Blanks the values of request tags whose keys look like secrets: keys containing
 * {@code api_key} (or {@code apikey}, {@code api-key}), {@code authorization}, {@code token},
 * {@code password}, {@code passwd}, {@code secret} or {@code credential}, in any case. The value
 * becomes {@value #REDACTED}, so a reader sees that something was there. Request tags are the only
 * free-form key/value pairs a request carries; its generation parameters are fixed fields. Stateless
 * and thread-safe.
 */
final class SecretKeyRedactor implements Redactor {

  static final String REDACTED = "[REDACTED]";

  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(api[_-]?key|authorization|token|password|passwd|secret|credential).*");

  @Override
  public AuditRecord redact(AuditRecord record) {
    Map<String, String> tags = record.getRequest().getTags();
    if (tags.keySet().stream().noneMatch(SecretKeyRedactor::looksSecret)) {
      return record;
    }
    Map<String, String> blanked = new LinkedHashMap<>();
    tags.forEach((k, v) -> blanked.put(k, looksSecret(k) ? REDACTED : v));
    LlmRequest request = LlmRequest.newBuilder(record.getRequest()).setTags(blanked).build();
    return AuditRecord.newBuilder(record).setRequest(request).build();
  }

  private static boolean looksSecret(CharSequence key) {
    return SECRET_KEY.matcher(key).matches();
  }
}
