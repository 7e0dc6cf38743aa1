package io.llmbroker.audit.archive;

import io.llmbroker.avro.AuditRecord;

/** An audit record with the input offset that brought it: a part file's unit. */
public record ArchivedRecord(long offset, AuditRecord record) {}
