package io.llmbroker.audit.topology;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.archive.ArchivedRecord;
import io.llmbroker.audit.archive.PartFile;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.redaction.Redactor;
import io.llmbroker.audit.support.TestClock;
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
  private static final Duration TICK = Duration.ofSeconds(1);
  private static final Duration ROLL = Duration.ofMinutes(5);

  @TempDir Path stateDir;
  @TempDir Path archiveDir;

  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final Topics topics = Topics.defaults();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final TestClock clock = new TestClock(NOON);
  private TopologyTestDriver driver;
  private TestInputTopic<String, AuditRecord> audit;

  @AfterEach
  void closeDriver() {
    if (driver != null) {
      driver.close();
    }
  }

  @Test
  void recordsAreArchivedAsOneFileWhenTheRollIntervalPasses() {
    startDriver();
    IntStream.range(0, 5).forEach(i -> send(record("r" + i, NOON)));
    tick(ROLL.minusSeconds(2));
    long beforeRoll = AuditArchive.count(archiveDir);

    tick(Duration.ofSeconds(2));

    assertThat(beforeRoll).isZero();
    assertThat(requestIds()).containsExactly("r0", "r1", "r2", "r3", "r4");
    assertThat(AuditArchive.files(archiveDir)).extracting(PartFile::date, PartFile::partition, PartFile::slot)
        .containsExactly(tuple(LocalDate.parse("2026-11-23"), 0, 0L));
  }

  @Test
  void aBufferReachingTheRollSizeIsWrittenBeforeTheInterval() {
    startDriver();
    String big = "x".repeat(64 * 1024);
    // 1 MiB roll size: 17 records of 64 KiB pass it.
    IntStream.range(0, 17).forEach(i -> send(withAnswer(record("r" + i, NOON), big)));

    tick(TICK);

    assertThat(AuditArchive.count(archiveDir)).isEqualTo(17);
  }

  @Test
  void recordsOfManyTicksGoIntoOneFileNotOnePerTick() {
    startDriver();

    for (int i = 0; i < 20; i++) {
      send(record("r" + i, NOON));
      tick(TICK);
    }
    tick(ROLL);

    assertThat(AuditArchive.files(archiveDir)).hasSize(1);
    assertThat(AuditArchive.count(archiveDir)).isEqualTo(20);
  }

  @Test
  void dateFoldersOlderThanTheRetentionAreDeleted() throws Exception {
    ArchiveDirectory archive = new ArchiveDirectory(archiveDir);
    archive.commit(LocalDate.parse("2026-11-10"), 0, 0, List.of(new ArchivedRecord(0, record("old", NOON))));
    archive.commit(LocalDate.parse("2026-11-20"), 0, 1, List.of(new ArchivedRecord(1, record("kept", NOON))));

    startDriver("retention-days: 7");
    tick(TICK);

    assertThat(AuditArchive.files(archiveDir)).extracting(PartFile::date)
        .containsExactly(LocalDate.parse("2026-11-20"));
  }

  @Test
  void offsetsAlreadyInTheArchiveAreSkippedOnReplay() throws Exception {
    new ArchiveDirectory(archiveDir).commit(LocalDate.parse("2026-11-23"), 0, 0,
        IntStream.range(0, 5).mapToObj(i -> new ArchivedRecord(i, record("r" + i, NOON))).toList());
    startDriver();

    IntStream.range(0, 8).forEach(i -> send(record("r" + i, NOON)));
    roll();

    assertThat(requestIds()).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
  }

  @Test
  void aSlotTakenByAnotherWriterMovesTheChainOnWithoutOverlap() throws Exception {
    startDriver();
    IntStream.range(0, 15).forEach(i -> send(record("r" + i, NOON)));
    // Another archiver (a zombie past its owner check) wrote offsets 0-9 meanwhile.
    new ArchiveDirectory(archiveDir).commit(LocalDate.parse("2026-11-23"), 0, 0,
        IntStream.range(0, 10).mapToObj(i -> new ArchivedRecord(i, record("r" + i, NOON))).toList());

    roll();

    assertThat(requestIds()).containsExactlyElementsOf(IntStream.range(0, 15).mapToObj(i -> "r" + i).sorted().toList());
    assertThat(AuditArchive.files(archiveDir)).extracting(PartFile::slot).containsExactly(0L, 10L);
  }

  @Test
  void anArchiverWhosePartitionWasTakenWritesNothingMore(@TempDir Path zombieState) {
    startDriver();
    IntStream.range(0, 10).forEach(i -> send(record("r" + i, NOON)));
    TopologyTestDriver zombie = driver;
    TestInputTopic<String, AuditRecord> zombieInput = audit;
    // The new owner starts on the same archive with its own state, reads the partition again and rolls.
    stateDir = zombieState;
    startDriver();
    IntStream.range(0, 12).forEach(i -> send(record("r" + i, NOON)));
    roll();

    zombieInput.pipeInput("r99", record("r99", NOON));
    zombie.advanceWallClockTime(ROLL);
    zombie.close();

    assertThat(requestIds()).containsExactlyElementsOf(IntStream.range(0, 12).mapToObj(i -> "r" + i).sorted().toList());
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
    KeyValueStore<Long, byte[]> buffer = driver.getKeyValueStore(AuditTopology.BUFFER_STORE);
    Map<String, String> buffered = serdes.serde(AuditRecord.class).deserializer()
        .deserialize(AuditTopology.BUFFER_STORE, buffer.get(0L)).getRequest().getTags();

    roll();

    Object archived = AuditArchive.rows(archiveDir, "SELECT tags FROM calls").get(0).get("tags");
    assertThat(buffered).containsEntry("api_key", "[REDACTED]").containsEntry("Authorization", "[REDACTED]");
    assertThat(archived.toString()).contains("api_key=[REDACTED]", "Authorization=[REDACTED]", "env=prod")
        .doesNotContain("sk-live-123", "Bearer abc");
  }

  @Test
  void aRecordRedactionLeavesAloneIsBufferedAsTheBytesItCameIn() {
    startDriver();
    byte[] sent = serdes.serde(AuditRecord.class).serializer().serialize(topics.audit().name(), record("r0", NOON));
    driver.createInputTopic(topics.audit().name(), new StringSerializer(), new ByteArraySerializer())
        .pipeInput("r0", sent, NOON);
    KeyValueStore<Long, byte[]> buffer = driver.getKeyValueStore(AuditTopology.BUFFER_STORE);

    assertThat(buffer.get(0L)).isEqualTo(sent);
    roll();
    assertThat(requestIds()).containsExactly("r0");
  }

  @Test
  void eachFileHoldsConsecutiveOffsetsOfOneDateSoThatArchivedOffsetsFormAPrefix() {
    startDriver();
    Instant nextDay = NOON.plus(Duration.ofDays(1));
    send(record("a0", NOON));
    send(record("a1", NOON));
    send(record("b2", nextDay));
    send(record("a3", NOON));

    roll();

    List<PartFile> files = AuditArchive.files(archiveDir).stream()
        .sorted(Comparator.comparingLong(PartFile::slot)).toList();
    assertThat(files).extracting(PartFile::date, PartFile::slot).containsExactly(
        tuple(LocalDate.parse("2026-11-23"), 0L),
        tuple(LocalDate.parse("2026-11-24"), 2L),
        tuple(LocalDate.parse("2026-11-23"), 3L));
  }

  @Test
  void aRequestIdAuditedTwiceIsArchivedOnceWithItsFirstRecord() {
    startDriver();
    AuditRecord first = AuditRecord.newBuilder(record("r1", NOON)).setWorker("worker-1").build();
    AuditRecord again = AuditRecord.newBuilder(record("r1", NOON.plusSeconds(30))).setWorker("worker-2").build();

    send(first);
    send(record("r2", NOON));
    send(again);
    roll();

    assertThat(requestIds()).containsExactly("r1", "r2");
    assertThat(AuditArchive.rows(archiveDir, "SELECT worker FROM calls WHERE request_id = 'r1'"))
        .extracting(row -> row.get("worker")).containsExactly("worker-1");
    assertThat(meters.get("llm.audit.duplicate.records").counter().count()).isEqualTo(1.0);
  }

  @Test
  void aDuplicateArrivingAfterTheFirstWasFlushedIsStillDropped() {
    startDriver();
    send(record("r1", NOON));
    roll();

    send(record("r1", NOON.plus(Duration.ofHours(5))));
    send(record("r2", NOON.plus(Duration.ofHours(5))));
    roll();

    assertThat(requestIds()).containsExactly("r1", "r2");
  }

  @Test
  void aRequestIdSeenAgainAfterTheDedupWindowIsArchivedAgain() {
    startDriver();
    send(record("r1", NOON));

    send(record("r1", NOON.plus(Duration.ofDays(5))));
    roll();

    assertThat(requestIds()).containsExactly("r1", "r1");
  }

  @Test
  void undecodableRecordIsSkippedAndTheRestArchived() {
    startDriver();
    var raw = driver.createInputTopic(topics.audit().name(), new StringSerializer(),
        new ByteArraySerializer());

    raw.pipeInput("bad", new byte[] {7});
    send(record("r1", NOON));
    roll();

    assertThat(requestIds()).containsExactly("r1");
  }

  private void startDriver() {
    startDriver("");
  }

  private void startDriver(String moreArchiveSettings) {
    AuditArchiverConfig config = AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "unused:9092"}
        streams: {state-dir: "%s"}
        archive: {dir: "%s", roll-interval: 5m, roll-size-mb: 1, %s}
        """.formatted(stateDir, archiveDir, moreArchiveSettings), Map.of());
    ArchiveDirectory archive = new ArchiveDirectory(archiveDir);
    driver = new TopologyTestDriver(AuditTopology.topology(topics, serdes, archive, Redactor.secrets(),
        config.archive(), clock, meters), config.streamsProperties());
    audit = driver.createInputTopic(topics.audit().name(), new StringSerializer(),
        serdes.serde(AuditRecord.class).serializer());
  }

  private void send(AuditRecord record) {
    audit.pipeInput(record.getRequestId(), record, Instant.ofEpochMilli(record.getRecordedAt()));
  }

  /** Moves the wall clock the processor reads and the one that fires its punctuation together. */
  private void tick(Duration by) {
    clock.advance(by);
    driver.advanceWallClockTime(by);
  }

  private void roll() {
    tick(ROLL);
  }

  private static AuditRecord withAnswer(AuditRecord record, String answer) {
    record.getResponse().setContent(answer);
    return record;
  }

  private List<String> requestIds() {
    return AuditArchive.rows(archiveDir, "SELECT request_id FROM calls ORDER BY request_id").stream()
        .map(row -> (String) row.get("request_id")).toList();
  }
}
