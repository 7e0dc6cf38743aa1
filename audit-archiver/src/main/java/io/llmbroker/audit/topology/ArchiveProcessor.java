package io.llmbroker.audit.topology;

import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.redaction.Redactor;
import io.llmbroker.avro.AuditRecord;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Archives the audit records of one input partition exactly once.
 *
 * <p>One record per request id: a worker that crashed before committing serves a request again and
 * audits it again. The first record of a request id is kept; a later one within the dedup window
 * (record time) is dropped and counted. Request ids are remembered with the offset that first
 * brought them in a changelogged window store, so the decision replays identically: a record
 * read again is recognised by its own offset and is not its own duplicate.
 *
 * <p>Records are redacted, then buffered in a changelogged store keyed by input offset, so that the
 * buffer and the committed input offset move together (exactly-once). A wall-clock punctuation
 * and {@link #close()} flush the buffer into part files and delete what they hold from it.
 *
 * <p>Why a crash at any point neither loses nor duplicates: the buffer is flushed in offset order,
 * and a file never holds records across a gap of unflushed offsets — consecutive buffered records
 * of one UTC date form one file, and a change of date starts the next. So the part files of a
 * partition always hold every buffered offset up to the highest archived one, H. At start the
 * processor reads H from the archive and skips every record at or below it, whether it comes back
 * from the restored buffer or from input replayed after an uncommitted flush.
 *
 * <p>One instance per task, called from the task's thread only.
 */
final class ArchiveProcessor implements Processor<String, AuditRecord, Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(ArchiveProcessor.class);

  /** The names of the buffer (input offset → record) and of the seen request ids (id → first offset). */
  record Stores(String buffer, String seen) {}

  record Counters(Counter archived, Counter skipped, Counter duplicates) {}

  private final Stores stores;
  private final ArchiveDirectory archive;
  private final Redactor redactor;
  private final Duration flushInterval;
  private final long dedupMillis;
  private final Counters counters;

  private ProcessorContext<Void, Void> context;
  private KeyValueStore<Long, AuditRecord> buffer;
  private WindowStore<String, Long> seen;
  private int partition;
  private long archivedUpTo;

  ArchiveProcessor(Stores stores, ArchiveDirectory archive, Redactor redactor, Duration flushInterval,
      Duration dedupWindow, Counters counters) {
    this.stores = stores;
    this.archive = archive;
    this.redactor = redactor;
    this.flushInterval = flushInterval;
    this.dedupMillis = dedupWindow.toMillis();
    this.counters = counters;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    buffer = context.getStateStore(stores.buffer());
    seen = context.getStateStore(stores.seen());
    partition = context.taskId().partition();
    try {
      archive.removeTemporaryFiles(partition);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean temp files in " + archive.root() + ": " + e.getMessage(), e);
    }
    archivedUpTo = archive.highestArchivedOffset(partition).orElse(-1);
    context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, now -> flush());
  }

  @Override
  public void process(Record<String, AuditRecord> record) {
    if (record.value() == null) {
      return;
    }
    // Streams gives every record read from a topic its metadata, and this processor reads only those.
    long offset = context.recordMetadata().map(RecordMetadata::offset).orElseThrow();
    // Remembered before the skip below too: a record at or below the archived offset is in the archive.
    boolean duplicate = firstSeenElsewhere(record.value().getRequestId(), offset, record.timestamp());
    if (offset <= archivedUpTo) {
      counters.skipped().increment();
      return;
    }
    if (duplicate) {
      counters.duplicates().increment();
      LOG.info("event=audit_duplicate_dropped request_id={} partition={} offset={}", record.value().getRequestId(),
          partition, offset);
      return;
    }
    buffer.put(offset, redactor.redact(record.value()));
  }

  /** True when another offset brought {@code requestId} within the window; else remembers this one. */
  private boolean firstSeenElsewhere(String requestId, long offset, long time) {
    try (WindowStoreIterator<Long> copies = seen.fetch(requestId, Math.max(0, time - dedupMillis), time + dedupMillis)) {
      boolean known = false;
      while (copies.hasNext()) {
        if (copies.next().value != offset) {
          return true;
        }
        known = true;
      }
      if (!known) {
        seen.put(requestId, offset, time);
      }
      return false;
    }
  }

  @Override
  public void close() {
    try {
      flush();
    } catch (RuntimeException e) {
      // Closing must go on; whatever was not written is still in the committed buffer.
      LOG.warn("flush on close of partition {} failed: {}", partition, e.toString());
    }
  }

  /** Writes the buffer out as part files, in offset order, then forgets what was written. */
  private void flush() {
    List<KeyValue<Long, AuditRecord>> pending = new ArrayList<>();
    List<Long> alreadyArchived = new ArrayList<>();
    try (KeyValueIterator<Long, AuditRecord> all = buffer.all()) {
      all.forEachRemaining(kv -> {
        if (kv.key <= archivedUpTo) {
          alreadyArchived.add(kv.key);
        } else {
          pending.add(kv);
        }
      });
    }
    alreadyArchived.forEach(buffer::delete);
    int start = 0;
    while (start < pending.size()) {
      LocalDate date = dateOf(pending.get(start).value);
      int end = start + 1;
      while (end < pending.size() && dateOf(pending.get(end).value).equals(date)) {
        end++;
      }
      if (!writeRun(date, pending.subList(start, end))) {
        return;
      }
      start = end;
    }
  }

  private boolean writeRun(LocalDate date, List<KeyValue<Long, AuditRecord>> run) {
    long first = run.get(0).key;
    long last = run.get(run.size() - 1).key;
    try {
      archive.write(date, partition, first, last, run.stream().map(kv -> kv.value).toList());
    } catch (IOException | UncheckedIOException e) {
      // The records stay buffered (and committed), so the next flush tries again.
      LOG.error("cannot archive offsets {}-{} of partition {} under {}: {}", first, last, partition, archive.root(),
          e.getMessage(), e);
      return false;
    }
    archivedUpTo = last;
    run.forEach(kv -> buffer.delete(kv.key));
    counters.archived().increment(run.size());
    return true;
  }

  private static LocalDate dateOf(AuditRecord record) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(record.getRecordedAt()), ZoneOffset.UTC);
  }
}
