package io.llmbroker.audit.redaction;

import io.llmbroker.avro.AuditRecord;

/**
 * Removes what must never reach the archive from an audit record, before anything is written
 * (the buffer store and its changelog included). Implementations return a new record and leave
 * the given one untouched, and are thread-safe.
 */
@FunctionalInterface
public interface Redactor {

  AuditRecord redact(AuditRecord record);

  /** The default: values of request tags whose keys look like secrets are blanked. */
  static Redactor secrets() {
    return new SecretKeyRedactor();
  }
}
