package io.llmbroker.costs.topology;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.budgets.BudgetTopology;
import io.llmbroker.costs.config.CostAggregatorConfig.RollupSettings;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The cost aggregator's topology:
 *
 * <pre>
 * llm.usage (key request id, event time occurred_at)
 *   → drop duplicates of a request id (store {@value #DEDUP_STORE})
 *   → keep the rolled-up tags, bounded (store {@value #TAG_VALUES_STORE}, see {@link TagLimiter})
 *   → regroup by team|app|customer|provider|model|tags (repartition "by-dimensions")
 *   → per hour  (store {@value #HOURLY_STORE}) ─┐
 *   → per day   (store {@value #DAILY_STORE})  ─┴→ llm.cost.rollups (key: see {@link RollupKey#topicKey})
 * de-duplicated usage → budgets (see {@link BudgetTopology}) → llm.budget-state, llm.budget-alerts
 * </pre>
 *
 * The window stores hold one {@link CostRollup} per window and dimension combination, the
 * running total; its window fields are left zero in the store (the window is the store key) and
 * set on what is published. A rollup is published on every commit that changed it, so the
 * compacted topic always holds the latest total of every window. Months are not a store: queries
 * sum the days of a month.
 */
public final class CostTopology {

  public static final String DEDUP_STORE = "usage-request-ids";
  public static final String HOURLY_STORE = "cost-rollups-hourly";
  public static final String DAILY_STORE = "cost-rollups-daily";
  public static final String TAG_VALUES_STORE = "rollup-tag-values";
  /** The name of the regrouping step; its repartition topic splits the rollup stores into partitions. */
  public static final String REPARTITION = "by-dimensions";

  private CostTopology() {}

  /** The topology reading {@code topics.usage()} and writing {@code topics.costRollups()}. */
  public static Topology topology(Topics topics, AvroSerdes serdes, RollupSettings rollup) {
    Serde<UsageEvent> usageSerde = serdes.serde(UsageEvent.class);
    Serde<CostRollup> rollupSerde = serdes.serde(CostRollup.class);
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.windowStoreBuilder(
        Stores.persistentWindowStore(DEDUP_STORE, rollup.dedupWindow(), rollup.dedupWindow(), false),
        Serdes.String(), Serdes.Long()));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(TAG_VALUES_STORE), Serdes.String(), Serdes.Long()));

    KStream<String, UsageEvent> deduplicated = builder
        .stream(topics.usage().name(), Consumed.with(Serdes.String(), usageSerde)
            .withTimestampExtractor(new OccurredAtTimestampExtractor())
            .withName("usage"))
        .filter((requestId, usage) -> usage != null, Named.as("drop-tombstones"))
        .processValues(() -> new DedupProcessor(DEDUP_STORE, rollup.dedupWindow()), Named.as("drop-duplicates"), DEDUP_STORE);
    BudgetTopology.addTo(builder, deduplicated, topics, serdes);
    KGroupedStream<String, UsageEvent> byDimensions = deduplicated
        .processValues(() -> new TagLimiter(TAG_VALUES_STORE, rollup), Named.as("limit-tags"), TAG_VALUES_STORE)
        .groupBy((requestId, usage) -> RollupKey.of(usage).encode(),
            Grouped.with(REPARTITION, Serdes.String(), usageSerde));

    String output = topics.costRollups().name();
    rollUp(byDimensions, Granularity.HOUR, Duration.ofHours(1), rollup.grace(), rollup.hourlyRetention(), HOURLY_STORE, rollupSerde)
        .to(output, Produced.with(Serdes.String(), rollupSerde).withName("publish-hourly"));
    rollUp(byDimensions, Granularity.DAY, Duration.ofDays(1), rollup.grace(), rollup.dailyRetention(), DAILY_STORE, rollupSerde)
        .to(output, Produced.with(Serdes.String(), rollupSerde).withName("publish-daily"));
    return builder.build();
  }

  private static KStream<String, CostRollup> rollUp(
      KGroupedStream<String, UsageEvent> grouped, Granularity granularity, Duration size, Duration grace,
      Duration retention, String storeName, Serde<CostRollup> rollupSerde) {
    String name = granularity.name().toLowerCase(Locale.ROOT);
    return grouped
        .windowedBy(TimeWindows.ofSizeAndGrace(size, grace))
        .aggregate(() -> emptyRollup(granularity), (dimensions, usage, total) -> add(total, usage),
            Named.as("sum-" + name),
            Materialized.<String, CostRollup, WindowStore<Bytes, byte[]>>as(storeName)
                .withKeySerde(Serdes.String())
                .withValueSerde(rollupSerde)
                .withRetention(retention))
        .toStream(Named.as(name + "-changes"))
        .map((window, total) -> published(granularity, window, total), Named.as(name + "-keyed"));
  }

  private static CostRollup emptyRollup(Granularity granularity) {
    return CostRollup.newBuilder().setGranularity(granularity).setWindowStart(0L).setWindowEnd(0L)
        .setTeam("").setApp("").setProvider("").setModel("").build();
  }

  /** Returns a new total; the stored one is never mutated in place. */
  private static CostRollup add(CostRollup total, UsageEvent usage) {
    RollupKey dims = RollupKey.of(usage);
    return CostRollup.newBuilder(total)
        .setTeam(dims.team())
        .setApp(dims.app())
        .setCustomer(dims.customer())
        .setProvider(dims.provider())
        .setModel(dims.model())
        .setRequests(total.getRequests() + 1)
        .setInputTokens(total.getInputTokens() + usage.getUsage().getInputTokens())
        .setOutputTokens(total.getOutputTokens() + usage.getUsage().getOutputTokens())
        .setCachedInputTokens(total.getCachedInputTokens() + usage.getUsage().getCachedInputTokens())
        .setCostMicros(total.getCostMicros() + usage.getCostMicros())
        .setTags(dims.tags())
        .setErrors(total.getErrors() + (usage.getStatus() == ResponseStatus.OK ? 0 : 1))
        .setLatencyMsTotal(total.getLatencyMsTotal() + usage.getLatencyMs())
        .setLatencyMsMax(Math.max(total.getLatencyMsMax(), usage.getLatencyMs()))
        .build();
  }

  private static KeyValue<String, CostRollup> published(Granularity granularity, Windowed<String> window, CostRollup total) {
    CostRollup rollup = withWindow(total, granularity, window.window().start(), window.window().end());
    return KeyValue.pair(RollupKey.of(rollup).topicKey(granularity, Instant.ofEpochMilli(window.window().start())), rollup);
  }

  /** The stored total with its window filled in. */
  public static CostRollup withWindow(CostRollup total, Granularity granularity, long start, long end) {
    return CostRollup.newBuilder(total).setGranularity(granularity).setWindowStart(start).setWindowEnd(end).build();
  }
}
