package io.llmbroker.costs.query;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import io.llmbroker.costs.topology.CostTopology;
import io.llmbroker.costs.topology.RollupKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * Reads rollups from this instance's window stores (interactive queries): the given partitions'
 * stores, or every store this instance hosts as active when none are given. Standby copies are
 * never read. Thread-safe: Streams' read-only stores may be read from any thread.
 */
public final class StreamsRollupSource implements RollupSource {

  private final KafkaStreams streams;
  private final Set<Integer> partitions;

  /**
   * @param partitions the store partitions to read; empty for all local ones
   */
  public StreamsRollupSource(KafkaStreams streams, Set<Integer> partitions) {
    this.streams = streams;
    this.partitions = Set.copyOf(partitions);
  }

  /**
   * {@inheritDoc}
   *
   * @throws org.apache.kafka.streams.errors.InvalidStateStoreException when a partition asked for is
   *     not active here or still restoring
   */
  @Override
  public List<CostRollup> rollups(Granularity granularity, Instant from, Instant to) {
    return rollups(granularity, from, to, null);
  }

  /**
   * {@inheritDoc} Store keys begin with the team ({@link RollupKey#encode}), so one team's rollups
   * are one key range.
   *
   * @throws org.apache.kafka.streams.errors.InvalidStateStoreException when a partition asked for is
   *     not active here or still restoring
   */
  @Override
  public List<CostRollup> rollups(Granularity granularity, Instant from, Instant to, String team) {
    String storeName = granularity == Granularity.DAY ? CostTopology.DAILY_STORE : CostTopology.HOURLY_STORE;
    StoreQueryParameters<ReadOnlyWindowStore<String, CostRollup>> all =
        StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.windowStore());
    List<CostRollup> rollups = new ArrayList<>();
    if (partitions.isEmpty()) {
      read(streams.store(all), granularity, from, to, team, rollups);
    }
    for (int partition : partitions) {
      read(streams.store(all.withPartition(partition)), granularity, from, to, team, rollups);
    }
    return rollups;
  }

  private static void read(ReadOnlyWindowStore<String, CostRollup> store, Granularity granularity, Instant from,
      Instant to, String team, List<CostRollup> into) {
    // The stores' time bounds are inclusive; the query's upper bound is not.
    Instant last = to.minusMillis(1);
    try (KeyValueIterator<Windowed<String>, CostRollup> it = team == null ? store.fetchAll(from, last)
        : store.fetch(RollupKey.teamRangeStart(team), RollupKey.teamRangeEnd(team), from, last)) {
      while (it.hasNext()) {
        var entry = it.next();
        // Each read deserializes a fresh rollup: filling in its window in place saves a copy per rollup.
        CostRollup rollup = entry.value;
        rollup.setGranularity(granularity);
        rollup.setWindowStart(entry.key.window().start());
        rollup.setWindowEnd(entry.key.window().end());
        into.add(rollup);
      }
    }
  }
}
