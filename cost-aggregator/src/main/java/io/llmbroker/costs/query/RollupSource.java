package io.llmbroker.costs.query;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import java.time.Instant;
import java.util.List;

/** Where rollups are read from: the job's state stores, or a fixed list in tests. */
public interface RollupSource {

  /**
   * The rollups of every window of {@code granularity} starting in {@code [from, to)}, with their
   * window fields set.
   *
   * @throws org.apache.kafka.streams.errors.InvalidStateStoreException when the stores cannot be
   *     read right now (the job is starting or rebalancing)
   */
  List<CostRollup> rollups(Granularity granularity, Instant from, Instant to);

  /**
   * As {@link #rollups(Granularity, Instant, Instant)}, but may leave out rollups of teams other
   * than {@code team} (a source keyed by team reads only that team's range); callers still filter.
   */
  default List<CostRollup> rollups(Granularity granularity, Instant from, Instant to, String team) {
    return rollups(granularity, from, to);
  }
}
