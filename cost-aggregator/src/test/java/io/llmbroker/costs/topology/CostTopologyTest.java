package io.llmbroker.costs.topology;

import static io.llmbroker.costs.support.Usage.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.query.CostQuery;
import io.llmbroker.costs.query.CostQueryEngine;
import io.llmbroker.costs.query.CostRow;
import io.llmbroker.costs.query.Dimension;
import io.llmbroker.costs.query.RollupSource;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostTopologyTest {

  private static final Instant TEN = Instant.parse("2026-11-23T10:00:00Z");

  @TempDir Path stateDir;

  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestInputTopic<String, UsageEvent> usage;
  private TestOutputTopic<String, CostRollup> rollups;

  @BeforeEach
  void startDriver() {
    startDriver("{grace: 1h}");
  }

  private void startDriver(String rollupSettings) {
    if (driver != null) {
      driver.close();
    }
    CostAggregatorConfig config = CostAggregatorConfig.parse("""
        kafka: {bootstrap.servers: "unused:9092"}
        streams: {state-dir: "%s"}
        rollup: %s
        """.formatted(stateDir, rollupSettings), Map.of());
    driver = new TopologyTestDriver(CostTopology.topology(topics, serdes, config.rollup()), config.streamsProperties());
    usage = driver.createInputTopic(topics.usage().name(), new StringSerializer(), serdes.serde(UsageEvent.class).serializer());
    rollups = driver.createOutputTopic(topics.costRollups().name(), new StringDeserializer(),
        serdes.serde(CostRollup.class).deserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void sumsCostByTeamAndHour() {
    send(event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(300)));
    send(event("r2", "search", "gpt-4o", 2_500, TEN.plusSeconds(2400)));
    send(event("r3", "ads", "gpt-4o", 700, TEN.plusSeconds(600)));
    send(event("r4", "search", "gpt-4o", 4_000, TEN.plusSeconds(3900)));

    Map<String, CostRollup> latest = rollups.readKeyValuesToMap();

    CostRollup searchAtTen = latest.get("hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o");
    assertThat(searchAtTen.getRequests()).isEqualTo(2);
    assertThat(searchAtTen.getCostMicros()).isEqualTo(3_500);
    assertThat(searchAtTen.getInputTokens()).isEqualTo(200);
    assertThat(searchAtTen.getOutputTokens()).isEqualTo(20);
    assertThat(searchAtTen.getGranularity()).isEqualTo(Granularity.HOUR);
    assertThat(searchAtTen.getWindowStart()).isEqualTo(TEN.toEpochMilli());
    assertThat(searchAtTen.getWindowEnd()).isEqualTo(TEN.plusSeconds(3600).toEpochMilli());
    assertThat(latest.get("hour|2026-11-23T10:00:00Z|ads|web||openai|gpt-4o").getCostMicros()).isEqualTo(700);
    assertThat(latest.get("hour|2026-11-23T11:00:00Z|search|web||openai|gpt-4o").getCostMicros()).isEqualTo(4_000);
  }

  @Test
  void duplicateRequestIdCountsOnce() {
    UsageEvent original = event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(300));
    send(original);
    send(original);
    send(event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(3900)));

    Map<String, CostRollup> latest = rollups.readKeyValuesToMap();

    assertThat(latest.get("hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o").getRequests()).isEqualTo(1);
    assertThat(latest.get("day|2026-11-23T00:00:00Z|search|web||openai|gpt-4o").getCostMicros()).isEqualTo(1_000);
    assertThat(latest).doesNotContainKey("hour|2026-11-23T11:00:00Z|search|web||openai|gpt-4o");
  }

  @Test
  void dayRollupSumsEveryHourOfTheDay() {
    send(event("r1", "search", "gpt-4o", 1_000, Instant.parse("2026-11-23T00:10:00Z")));
    send(event("r2", "search", "gpt-4o", 2_000, Instant.parse("2026-11-23T12:00:00Z")));
    send(event("r3", "search", "gpt-4o", 3_000, Instant.parse("2026-11-23T23:59:59Z")));
    send(event("r4", "search", "gpt-4o", 4_000, Instant.parse("2026-11-24T00:00:00Z")));

    Map<String, CostRollup> latest = rollups.readKeyValuesToMap();

    CostRollup day = latest.get("day|2026-11-23T00:00:00Z|search|web||openai|gpt-4o");
    assertThat(day.getRequests()).isEqualTo(3);
    assertThat(day.getCostMicros()).isEqualTo(6_000);
    assertThat(day.getGranularity()).isEqualTo(Granularity.DAY);
    assertThat(latest.get("day|2026-11-24T00:00:00Z|search|web||openai|gpt-4o").getCostMicros()).isEqualTo(4_000);
  }

  @Test
  void lateEventWithinGraceIsCounted() {
    send(event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(300)));
    send(event("r2", "search", "gpt-4o", 2_000, Instant.parse("2026-11-23T11:30:00Z")));
    send(event("late", "search", "gpt-4o", 500, TEN.plusSeconds(3000)));

    Map<String, CostRollup> latest = rollups.readKeyValuesToMap();

    assertThat(latest.get("hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o").getCostMicros()).isEqualTo(1_500);
  }

  @Test
  void eventLaterThanGraceLeavesTheClosedHourUnchanged() {
    send(event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(300)));
    send(event("r2", "search", "gpt-4o", 2_000, Instant.parse("2026-11-23T12:30:00Z")));
    send(event("too-late", "search", "gpt-4o", 500, TEN.plusSeconds(3000)));

    Map<String, CostRollup> latest = rollups.readKeyValuesToMap();

    assertThat(latest.get("hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o").getCostMicros()).isEqualTo(1_000);
    assertThat(latest.get("day|2026-11-23T00:00:00Z|search|web||openai|gpt-4o").getCostMicros()).isEqualTo(3_500);
  }

  @Test
  void undecodableRecordIsSkippedAndLaterUsageStillCounts() {
    TestInputTopic<String, byte[]> raw = driver.createInputTopic(topics.usage().name(), new StringSerializer(),
        new ByteArraySerializer());

    raw.pipeInput("garbage", new byte[] {1, 2, 3}, TEN);
    send(event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(300)));

    assertThat(rollups.readKeyValuesToMap().get("hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o").getRequests())
        .isEqualTo(1);
  }

  @Test
  void storesAnswerAQueryGroupedByTeam() {
    send(event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(300)));
    send(event("r2", "search", "claude-sonnet", 2_000, TEN.plusSeconds(600)));
    send(event("r3", "ads", "gpt-4o", 700, TEN.plusSeconds(900)));

    List<CostRow> rows = CostQueryEngine.answer(
        CostQuery.of(Granularity.HOUR, TEN, TEN.plusSeconds(3600)).groupedBy(Dimension.TEAM), driverStores(), TEN).rows();

    assertThat(rows).extracting(r -> r.dimension(Dimension.TEAM), CostRow::requests, CostRow::costMicros)
        .containsExactly(tuple("ads", 1L, 700L), tuple("search", 2L, 3_000L));
  }

  @Test
  void configuredTagsAreDimensionsWithUntaggedUnderEmptyAndValuesBeyondTheBoundUnderOther() {
    startDriver("{tags: [feature], tag-values-max: 2}");
    send(tagged(event("r1", "search", "gpt-4o", 100, TEN), Map.of("feature", "chat", "user", "u1")));
    send(tagged(event("r2", "search", "gpt-4o", 200, TEN), Map.of("feature", "summary")));
    send(tagged(event("r3", "search", "gpt-4o", 400, TEN), Map.of("feature", "translate")));
    send(tagged(event("r4", "search", "gpt-4o", 800, TEN), Map.of("feature", "chat")));
    send(event("r5", "search", "gpt-4o", 1_600, TEN));

    List<CostRow> rows = CostQueryEngine.answer(CostQuery.of(Granularity.HOUR, TEN, TEN.plusSeconds(3600))
        .groupedBy(Dimension.tag("feature")), driverStores(), TEN).rows();

    assertThat(rows).extracting(r -> r.dimension(Dimension.tag("feature")), CostRow::costMicros)
        .containsExactly(tuple("", 1_600L), tuple("(other)", 400L), tuple("chat", 900L), tuple("summary", 200L));
    assertThat(rollups.readKeyValuesToMap()).containsKey("hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o|chat")
        .allSatisfy((key, rollup) -> assertThat(rollup.getTags()).containsOnlyKeys("feature"));
  }

  @Test
  void errorsAndProviderLatencyAreRolledUpPerModel() {
    send(UsageEvent.newBuilder(event("r1", "search", "gpt-4o", 100, TEN)).setLatencyMs(300).build());
    send(UsageEvent.newBuilder(event("r2", "search", "gpt-4o", 0, TEN)).setLatencyMs(900)
        .setStatus(ResponseStatus.ERROR).build());

    CostRow row = CostQueryEngine.answer(CostQuery.of(Granularity.DAY, TEN.minusSeconds(36_000), TEN.plusSeconds(3600))
        .groupedBy(Dimension.MODEL), driverStores(), TEN).rows().get(0);

    assertThat(row.requests()).isEqualTo(2);
    assertThat(row.errors()).isEqualTo(1);
    assertThat(row.latencyMsTotal()).isEqualTo(1_200);
    assertThat(row.latencyMsMax()).isEqualTo(900);
  }

  @Test
  void monthRowsSumTheirDaysAndTheMonthInProgressGetsItsForecast() {
    send(event("r1", "search", "gpt-4o", 1_000, Instant.parse("2026-10-31T23:00:00Z")));
    send(event("r2", "search", "gpt-4o", 2_000, Instant.parse("2026-11-01T01:00:00Z")));
    send(event("r3", "search", "gpt-4o", 3_000, Instant.parse("2026-11-10T12:00:00Z")));
    Instant now = Instant.parse("2026-11-16T00:00:00Z");

    List<CostRow> rows = CostQueryEngine.answer(CostQuery.fromParameters(
        Map.of("granularity", "month", "from", "2026-10-01", "to", now.toString()), now), driverStores(), now).rows();

    assertThat(rows).extracting(r -> r.windowStart().toString(), r -> r.windowEnd().toString(), CostRow::costMicros,
            CostRow::forecastMicros)
        .containsExactly(tuple("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", 1_000L, null),
            // 5,000 in the first 15 of November's 30 days
            tuple("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 5_000L, 10_000L));
  }

  private static UsageEvent tagged(UsageEvent event, Map<String, String> tags) {
    return UsageEvent.newBuilder(event).setTags(tags).build();
  }

  private void send(UsageEvent event) {
    usage.pipeInput(event.getRequestId(), event, Instant.ofEpochMilli(event.getOccurredAt()));
  }

  /** The driver's window stores, read the way the service reads its own. */
  private RollupSource driverStores() {
    return (granularity, from, to) -> {
      ReadOnlyWindowStore<String, CostRollup> store = driver.getWindowStore(
          granularity == Granularity.DAY ? CostTopology.DAILY_STORE : CostTopology.HOURLY_STORE);
      List<CostRollup> out = new ArrayList<>();
      try (var it = store.fetchAll(from, to.minusMillis(1))) {
        it.forEachRemaining(kv -> out.add(CostTopology.withWindow(kv.value, granularity,
            kv.key.window().start(), kv.key.window().end())));
      }
      return out;
    };
  }
}
