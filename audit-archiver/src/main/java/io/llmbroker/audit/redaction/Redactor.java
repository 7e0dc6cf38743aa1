package io.llmbroker.audit.redaction;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.runtime.redaction.Secrets;

/**
 * Removes what must never reach the archive from an audit record, before anything is written
 * (the buffer store and its changelog included). Implementations return a new record when they
 * removed something and the given one, untouched, when not (the archiver then keeps the bytes the
 * record came in), and are thread-safe.
 */
@FunctionalInterface
public interface Redactor {

  AuditRecord redact(AuditRecord record);

  /**
   * The default: {@link Secrets#audit}, secrets in tags (by key and by shape) and in error
   * texts. Workers already apply it before publishing; the archiver applies it again for
   * records written by older workers or by other producers.
   */
  static Redactor secrets() {
    return Secrets::audit;
  }

  /** This redaction, then {@code next}. */
  default Redactor andThen(Redactor next) {
    return record -> next.redact(redact(record));
  }
}
