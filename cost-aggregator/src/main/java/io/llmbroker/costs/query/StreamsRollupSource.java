package io.llmbroker.costs.query;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import io.llmbroker.costs.topology.CostTopology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * Reads rollups from the running job's window stores (interactive queries).
 *
 * <p>It sees only the partitions this instance hosts: with one instance that is all of them. With
 * several, a query would have to fan out to the other instances (their {@code application.server}
 * and {@code KafkaStreams#streamsMetadataForStore}); that is not done yet, so run one instance.
 * Thread-safe: Streams' read-only stores may be read from any thread.
 */
public final class StreamsRollupSource implements RollupSource {

  private final KafkaStreams streams;

  public StreamsRollupSource(KafkaStreams streams) {
    this.streams = streams;
  }

  @Override
  public List<CostRollup> rollups(Granularity granularity, Instant from, Instant to) {
    String storeName = granularity == Granularity.DAY ? CostTopology.DAILY_STORE : CostTopology.HOURLY_STORE;
    ReadOnlyWindowStore<String, CostRollup> store =
        streams.store(StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.windowStore()));
    List<CostRollup> rollups = new ArrayList<>();
    // fetchAll's bounds are inclusive; the query's upper bound is not.
    try (KeyValueIterator<Windowed<String>, CostRollup> it = store.fetchAll(from, to.minusMillis(1))) {
      while (it.hasNext()) {
        var entry = it.next();
        rollups.add(CostTopology.withWindow(entry.value, granularity,
            entry.key.window().start(), entry.key.window().end()));
      }
    }
    return rollups;
  }
}
