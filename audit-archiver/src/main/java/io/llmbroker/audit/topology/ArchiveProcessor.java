package io.llmbroker.audit.topology;

import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.archive.ArchiveDirectory.Commit;
import io.llmbroker.audit.archive.ArchivedRecord;
import io.llmbroker.audit.redaction.Redactor;
import io.llmbroker.avro.AuditRecord;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serde;
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
 * <p>Records are redacted, then buffered encoded in a changelogged store keyed by input offset, so
 * that the buffer and the committed input offset move together (exactly-once). A record that
 * redaction left as it was is buffered as the bytes it came in: it is encoded by nobody here. The buffer is written out
 * as one part file per UTC date when it reaches the roll size or its oldest record the roll
 * interval (checked every second of wall clock), and on {@link #close()}.
 *
 * <p>Why a crash or a partition move neither loses nor duplicates: files are written in offset
 * order and a file never holds records across a gap of unflushed offsets, so the archive holds
 * every offset of the partition up to the end of its chain, H (see {@link ArchiveDirectory}). At
 * start the processor reads H and skips every record at or below it, whether it comes back from
 * the restored buffer or from input replayed after an uncommitted flush; a commit that finds its
 * slot taken moves H forward the same way.
 *
 * <p>One instance per task, called from the task's thread only.
 */
final class ArchiveProcessor implements Processor<String, Incoming, Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(ArchiveProcessor.class);
  private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
  private static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

  /** The names of the buffer (input offset → record) and of the seen request ids (id → first offset). */
  record Stores(String buffer, String seen) {}

  record Counters(Counter archived, Counter skipped, Counter duplicates, Counter files, Counter fenced) {}

  /**
   * When the buffer is written out and how long dates are kept.
   *
   * @param retentionDays date folders older than this many days are deleted; 0 keeps them all
   */
  record Rolling(long rollBytes, Duration rollInterval, int retentionDays, Clock clock) {}

  private final Stores stores;
  private final ArchiveDirectory archive;
  private final Redactor redactor;
  private final Serde<AuditRecord> records;
  private final Rolling rolling;
  private final long dedupMillis;
  private final Counters counters;
  private final String ownerToken = UUID.randomUUID().toString();

  private ProcessorContext<Void, Void> context;
  private KeyValueStore<Long, byte[]> buffer;
  private WindowStore<String, Long> seen;
  private int partition;
  private long archivedUpTo;
  private long bufferedBytes;
  private long bufferedSince = -1;
  private long retentionCheckedAt = Long.MIN_VALUE / 2;
  private boolean fenced;

  /** @param records encodes redacted records into the buffer and decodes the buffer at flush */
  ArchiveProcessor(Stores stores, ArchiveDirectory archive, Redactor redactor, Serde<AuditRecord> records,
      Rolling rolling, Duration dedupWindow, Counters counters) {
    this.stores = stores;
    this.archive = archive;
    this.redactor = redactor;
    this.records = records;
    this.rolling = rolling;
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
      archive.takeOwnership(partition, ownerToken);
      archive.removeTemporaryFiles(partition);
      archivedUpTo = archive.chainEnd(partition);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the archive " + archive.root() + ": " + e.getMessage(), e);
    }
    try (KeyValueIterator<Long, byte[]> all = buffer.all()) {
      all.forEachRemaining(kv -> bufferedBytes += kv.value.length);
    }
    if (bufferedBytes > 0) {
      bufferedSince = rolling.clock().millis();
    }
    Duration check = rolling.rollInterval().compareTo(CHECK_INTERVAL) < 0 ? rolling.rollInterval() : CHECK_INTERVAL;
    context.schedule(check, PunctuationType.WALL_CLOCK_TIME, now -> tick());
  }

  @Override
  public void process(Record<String, Incoming> record) {
    if (record.value() == null) {
      return;
    }
    AuditRecord audit = record.value().record();
    // Streams gives every record read from a topic its metadata, and this processor reads only those.
    long offset = context.recordMetadata().map(RecordMetadata::offset).orElseThrow();
    // Remembered before the skip below too: a record at or below the archived offset is in the archive.
    boolean duplicate = firstSeenElsewhere(audit.getRequestId(), offset, record.timestamp());
    if (offset <= archivedUpTo) {
      counters.skipped().increment();
      return;
    }
    if (duplicate) {
      counters.duplicates().increment();
      LOG.info("event=audit_duplicate_dropped request_id={} partition={} offset={}", audit.getRequestId(),
          partition, offset);
      return;
    }
    AuditRecord redacted = redactor.redact(audit);
    byte[] bytes = redacted == audit
        ? record.value().bytes()
        : records.serializer().serialize(context.recordMetadata().orElseThrow().topic(), redacted);
    buffer.put(offset, bytes);
    if (bufferedSince < 0) {
      bufferedSince = rolling.clock().millis();
    }
    bufferedBytes += bytes.length;
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

  /** Rolls the buffer into files when it is big or old enough, and applies retention hourly. */
  private void tick() {
    long now = rolling.clock().millis();
    if (bufferedSince >= 0
        && (bufferedBytes >= rolling.rollBytes() || now - bufferedSince >= rolling.rollInterval().toMillis())) {
      flush();
    }
    if (rolling.retentionDays() > 0 && now - retentionCheckedAt >= RETENTION_INTERVAL.toMillis()) {
      retentionCheckedAt = now;
      LocalDate oldestKept = LocalDate.ofInstant(Instant.ofEpochMilli(now), ZoneOffset.UTC)
          .minusDays(rolling.retentionDays());
      try {
        List<LocalDate> deleted = archive.deleteBefore(oldestKept);
        if (!deleted.isEmpty()) {
          LOG.info("event=audit_retention deleted_dates={} oldest_kept={}", deleted, oldestKept);
        }
      } catch (IOException | UncheckedIOException e) {
        LOG.warn("retention could not delete dates before {} under {}: {}", oldestKept, archive.root(), e.getMessage());
      }
    }
  }

  /** Writes the buffer out as part files, in offset order, then forgets what was written. */
  private void flush() {
    while (!fenced && flushOnce()) {
      // A lost slot moved the chain's end: what is left of the buffer is written after it.
    }
  }

  /** @return true when a slot was lost and the rest of the buffer must be written again */
  private boolean flushOnce() {
    List<ArchivedRecord> pending = new ArrayList<>();
    List<Long> alreadyArchived = new ArrayList<>();
    try (KeyValueIterator<Long, byte[]> all = buffer.all()) {
      all.forEachRemaining(kv -> {
        if (kv.key <= archivedUpTo) {
          alreadyArchived.add(kv.key);
        } else {
          pending.add(new ArchivedRecord(kv.key, records.deserializer().deserialize(stores.buffer(), kv.value)));
        }
      });
    }
    alreadyArchived.forEach(this::forget);
    int start = 0;
    while (start < pending.size()) {
      LocalDate date = dateOf(pending.get(start).record());
      int end = start + 1;
      while (end < pending.size() && dateOf(pending.get(end).record()).equals(date)) {
        end++;
      }
      Commit commit = writeRun(date, pending.subList(start, end));
      if (commit == null) {
        return false;
      }
      if (commit instanceof Commit.Lost lost) {
        if (lost.lastOffset() <= archivedUpTo) {
          // A slot's file always ends at or after the slot; anything else is a damaged file.
          LOG.error("event=audit_bad_part partition={} slot={}: its file ends at offset {}; fix or remove it",
              partition, archivedUpTo + 1, lost.lastOffset());
          return false;
        }
        LOG.info("event=audit_slot_taken partition={} slot={} chain_end={}", partition, archivedUpTo + 1,
            lost.lastOffset());
        archivedUpTo = Math.max(archivedUpTo, lost.lastOffset());
        return true;
      }
      start = end;
    }
    if (bufferedBytes <= 0) {
      bufferedSince = -1;
    }
    return false;
  }

  /** Commits one run of one date; null when nothing was written (an error, or the partition moved). */
  private Commit writeRun(LocalDate date, List<ArchivedRecord> run) {
    long slot = archivedUpTo + 1;
    try {
      if (!archive.owns(partition, ownerToken)) {
        fenced = true;
        counters.fenced().increment();
        LOG.warn("event=audit_partition_taken partition={}: another archiver owns it now; this one writes no more",
            partition);
        return null;
      }
      Commit commit = archive.commit(date, partition, slot, run);
      if (commit instanceof Commit.Written written) {
        archivedUpTo = written.lastOffset();
        run.forEach(r -> forget(r.offset()));
        counters.archived().increment(run.size());
        counters.files().increment();
      }
      return commit;
    } catch (IOException | UncheckedIOException e) {
      // The records stay buffered (and committed), so the next roll tries again.
      LOG.error("cannot archive offsets {}-{} of partition {} under {}: {}", slot, run.get(run.size() - 1).offset(),
          partition, archive.root(), e.getMessage(), e);
      return null;
    }
  }

  private void forget(long offset) {
    byte[] removed = buffer.delete(offset);
    if (removed != null) {
      bufferedBytes -= removed.length;
    }
  }

  private static LocalDate dateOf(AuditRecord record) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(record.getRecordedAt()), ZoneOffset.UTC);
  }
}
