package io.llmbroker.audit.topology;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.archive.AvroContainerFormat;
import io.llmbroker.audit.archive.PartFile;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.redaction.Redactor;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveProcessorTest {

  private static final Instant NOON = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration FLUSH = Duration.ofSeconds(1);

  @TempDir Path stateDir;
  @TempDir Path archiveDir;

  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final Topics topics = Topics.defaults();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private TopologyTestDriver driver;
  private TestInputTopic<String, AuditRecord> audit;

  @AfterEach
  void closeDriver() {
    if (driver != null) {
      driver.close();
    }
  }

  @Test
  void recordsAreArchivedOnceWhenTheFlushIntervalPasses() {
    startDriver();
    IntStream.range(0, 5).forEach(i -> send(record("r" + i, NOON)));
    long beforeFlush = AuditArchive.count(archiveDir);

    driver.advanceWallClockTime(FLUSH);
    driver.advanceWallClockTime(FLUSH);

    assertThat(beforeFlush).isZero();
    assertThat(requestIds()).containsExactly("r0", "r1", "r2", "r3", "r4");
    assertThat(AuditArchive.files(archiveDir)).extracting(PartFile::date, PartFile::partition, PartFile::firstOffset,
        PartFile::lastOffset).containsExactly(tuple(LocalDate.parse("2026-11-23"), 0, 0L, 4L));
  }

  @Test
  void offsetsAlreadyInTheArchiveAreSkippedOnReplay() throws Exception {
    new ArchiveDirectory(archiveDir, new AvroContainerFormat()).write(LocalDate.parse("2026-11-23"), 0, 0, 4,
        IntStream.range(0, 5).mapToObj(i -> record("r" + i, NOON)).toList());
    startDriver();

    IntStream.range(0, 8).forEach(i -> send(record("r" + i, NOON)));
    driver.advanceWallClockTime(FLUSH);

    assertThat(requestIds()).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
  }

  @Test
  void closingFlushesTheBuffer() {
    startDriver();
    IntStream.range(0, 3).forEach(i -> send(record("r" + i, NOON)));

    driver.close();
    driver = null;

    assertThat(requestIds()).containsExactly("r0", "r1", "r2");
  }

  @Test
  void secretLookingTagsAreBlankedBeforeTheBufferAndTheArchive() {
    startDriver();
    send(record("r0", NOON, Map.of("api_key", "sk-live-123", "Authorization", "Bearer abc", "env", "prod")));
    KeyValueStore<Long, AuditRecord> buffer = driver.getKeyValueStore(AuditTopology.BUFFER_STORE);
    Map<String, String> buffered = buffer.get(0L).getRequest().getTags();

    driver.advanceWallClockTime(FLUSH);

    Map<String, String> archived = AuditArchive.readAll(archiveDir).get(0).getRequest().getTags();
    assertThat(buffered).containsEntry("api_key", "[REDACTED]").containsEntry("Authorization", "[REDACTED]");
    assertThat(archived).containsOnly(Map.entry("api_key", "[REDACTED]"), Map.entry("Authorization", "[REDACTED]"),
        Map.entry("env", "prod"));
  }

  @Test
  void eachFileHoldsConsecutiveOffsetsOfOneDateSoThatArchivedOffsetsFormAPrefix() {
    startDriver();
    Instant nextDay = NOON.plus(Duration.ofDays(1));
    send(record("a0", NOON));
    send(record("a1", NOON));
    send(record("b2", nextDay));
    send(record("a3", NOON));

    driver.advanceWallClockTime(FLUSH);

    List<PartFile> files = AuditArchive.files(archiveDir).stream()
        .sorted(Comparator.comparingLong(PartFile::firstOffset)).toList();
    assertThat(files).extracting(PartFile::date, PartFile::firstOffset, PartFile::lastOffset).containsExactly(
        tuple(LocalDate.parse("2026-11-23"), 0L, 1L),
        tuple(LocalDate.parse("2026-11-24"), 2L, 2L),
        tuple(LocalDate.parse("2026-11-23"), 3L, 3L));
  }

  @Test
  void aRequestIdAuditedTwiceIsArchivedOnceWithItsFirstRecord() {
    startDriver();
    AuditRecord first = AuditRecord.newBuilder(record("r1", NOON)).setWorker("worker-1").build();
    AuditRecord again = AuditRecord.newBuilder(record("r1", NOON.plusSeconds(30))).setWorker("worker-2").build();

    send(first);
    send(record("r2", NOON));
    send(again);
    driver.advanceWallClockTime(FLUSH);

    List<AuditRecord> archived = AuditArchive.readAll(archiveDir);
    assertThat(archived).extracting(AuditRecord::getRequestId).containsExactlyInAnyOrder("r1", "r2");
    assertThat(archived).filteredOn(r -> r.getRequestId().equals("r1")).extracting(AuditRecord::getWorker)
        .containsExactly("worker-1");
    assertThat(meters.get("llm.audit.duplicate.records").counter().count()).isEqualTo(1.0);
  }

  @Test
  void aDuplicateArrivingAfterTheFirstWasFlushedIsStillDropped() {
    startDriver();
    send(record("r1", NOON));
    driver.advanceWallClockTime(FLUSH);

    send(record("r1", NOON.plus(Duration.ofHours(5))));
    send(record("r2", NOON.plus(Duration.ofHours(5))));
    driver.advanceWallClockTime(FLUSH);

    assertThat(requestIds()).containsExactly("r1", "r2");
  }

  @Test
  void aRequestIdSeenAgainAfterTheDedupWindowIsArchivedAgain() {
    startDriver();
    send(record("r1", NOON));

    send(record("r1", NOON.plus(Duration.ofDays(5))));
    driver.advanceWallClockTime(FLUSH);

    assertThat(requestIds()).containsExactly("r1", "r1");
  }

  @Test
  void undecodableRecordIsSkippedAndTheRestArchived() {
    startDriver();
    var raw = driver.createInputTopic(topics.audit().name(), new StringSerializer(),
        new ByteArraySerializer());

    raw.pipeInput("bad", new byte[] {7});
    send(record("r1", NOON));
    driver.advanceWallClockTime(FLUSH);

    assertThat(requestIds()).containsExactly("r1");
  }

  private void startDriver() {
    AuditArchiverConfig config = AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "unused:9092"}
        streams: {state-dir: "%s"}
        archive: {dir: "%s", flush-interval: 1s}
        """.formatted(stateDir, archiveDir), Map.of());
    ArchiveDirectory archive = new ArchiveDirectory(archiveDir, new AvroContainerFormat());
    driver = new TopologyTestDriver(AuditTopology.topology(topics, serdes, archive, Redactor.secrets(),
        config.archive().flushInterval(), config.archive().dedupWindow(), meters), config.streamsProperties());
    audit = driver.createInputTopic(topics.audit().name(), new StringSerializer(),
        serdes.serde(AuditRecord.class).serializer());
  }

  private void send(AuditRecord record) {
    audit.pipeInput(record.getRequestId(), record, Instant.ofEpochMilli(record.getRecordedAt()));
  }

  private List<String> requestIds() {
    return AuditArchive.readAll(archiveDir).stream().map(AuditRecord::getRequestId).sorted().toList();
  }
}
