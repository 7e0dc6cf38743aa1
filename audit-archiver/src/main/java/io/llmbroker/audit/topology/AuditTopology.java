package io.llmbroker.audit.topology;

import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.config.AuditArchiverConfig.ArchiveSettings;
import io.llmbroker.audit.redaction.Redactor;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.Stores;

/**
 * The audit archiver's topology: {@code llm.audit} → drop later records of a request id already
 * seen (store {@value #SEEN_STORE}) → redact → buffer by input offset (store
 * {@value #BUFFER_STORE}) → Parquet part files under the archive directory, rolled by size and time (see {@link ArchiveProcessor}
 * for why a crash neither loses nor duplicates a record). Nothing is written back to Kafka but
 * the stores' changelogs.
 */
public final class AuditTopology {

  public static final String BUFFER_STORE = "audit-buffer";
  public static final String SEEN_STORE = "audit-seen-request-ids";

  private AuditTopology() {}

  /**
   * @param settings roll size and interval, retention and the dedup window
   * @param clock the wall clock the roll interval and retention are measured on
   * @param meters receives {@code llm_audit_archived_records_total}, {@code llm_audit_skipped_records_total},
   *     {@code llm_audit_duplicate_records_total}, {@code llm_audit_files_total} and
   *     {@code llm_audit_fenced_flushes_total}
   */
  public static Topology topology(Topics topics, AvroSerdes serdes, ArchiveDirectory archive, Redactor redactor,
      ArchiveSettings settings, Clock clock, MeterRegistry meters) {
    Serde<AuditRecord> auditSerde = serdes.serde(AuditRecord.class);
    Counter archived = Counter.builder("llm.audit.archived.records")
        .description("audit records written to the archive").register(meters);
    Counter skipped = Counter.builder("llm.audit.skipped.records")
        .description("audit records skipped because the archive already held their offset").register(meters);
    Counter duplicates = Counter.builder("llm.audit.duplicate.records")
        .description("audit records dropped because an earlier one of the same request id was archived").register(meters);
    Counter files = Counter.builder("llm.audit.files")
        .description("part files written to the archive").register(meters);
    Counter fenced = Counter.builder("llm.audit.fenced.flushes")
        .description("flushes refused because another archiver took the partition").register(meters);
    ArchiveProcessor.Rolling rolling = new ArchiveProcessor.Rolling(settings.rollSizeMb() * 1024L * 1024L,
        settings.rollInterval(), settings.retentionDays(), clock);
    StreamsBuilder builder = new StreamsBuilder();
    // The buffer holds encoded records: the bytes that came in, or the redacted record's encoding.
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUFFER_STORE), Serdes.Long(),
        Serdes.ByteArray()));
    // Segments older than the window (in stream time) are dropped whole: the store stays bounded.
    builder.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(SEEN_STORE, settings.dedupWindow(), settings.dedupWindow(), false),
        Serdes.String(), Serdes.Long()));
    builder.stream(topics.audit().name(), Consumed.with(Serdes.String(), Incoming.serde(auditSerde)).withName("audit"))
        .process(() -> new ArchiveProcessor(new ArchiveProcessor.Stores(BUFFER_STORE, SEEN_STORE), archive, redactor,
            auditSerde, rolling, settings.dedupWindow(), new ArchiveProcessor.Counters(archived, skipped, duplicates, files, fenced)),
            Named.as("archive"), BUFFER_STORE, SEEN_STORE);
    return builder.build();
  }
}
