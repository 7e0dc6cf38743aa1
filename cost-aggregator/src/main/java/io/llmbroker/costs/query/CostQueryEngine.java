package io.llmbroker.costs.query;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.costs.topology.RollupKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Answers a {@link CostQuery} from rollups: filters them, then sums by window and grouped dimensions. Stateless. */
public final class CostQueryEngine {

  private CostQueryEngine() {}

  /** The rows of {@code query}, ordered by window start then dimension values. */
  public static List<CostRow> answer(CostQuery query, RollupSource source) {
    Map<GroupKey, CostRow> sums = new LinkedHashMap<>();
    for (CostRollup rollup : source.rollups(query.granularity(), query.from(), query.to())) {
      RollupKey key = RollupKey.of(rollup);
      if (!matches(query, key)) {
        continue;
      }
      Map<Dimension, String> dims = new EnumMap<>(Dimension.class);
      query.groupBy().forEach(d -> dims.put(d, d.valueIn(key)));
      GroupKey group = new GroupKey(rollup.getWindowStart(), dims);
      sums.merge(group, row(rollup, dims), CostQueryEngine::sum);
    }
    List<CostRow> rows = new ArrayList<>(sums.values());
    rows.sort(Comparator.comparing(CostRow::windowStart).thenComparing(CostQueryEngine::dimensionText));
    return rows;
  }

  private static boolean matches(CostQuery query, RollupKey key) {
    return query.filters().entrySet().stream().allMatch(f -> Objects.equals(f.getKey().valueIn(key), f.getValue()));
  }

  private static CostRow row(CostRollup r, Map<Dimension, String> dims) {
    return new CostRow(Instant.ofEpochMilli(r.getWindowStart()), Instant.ofEpochMilli(r.getWindowEnd()), dims,
        r.getRequests(), r.getInputTokens(), r.getOutputTokens(), r.getCachedInputTokens(), r.getCostMicros());
  }

  private static CostRow sum(CostRow a, CostRow b) {
    return new CostRow(a.windowStart(), a.windowEnd(), a.dimensions(), a.requests() + b.requests(),
        a.inputTokens() + b.inputTokens(), a.outputTokens() + b.outputTokens(),
        a.cachedInputTokens() + b.cachedInputTokens(), a.costMicros() + b.costMicros());
  }

  private static String dimensionText(CostRow row) {
    return row.dimensions().values().stream().map(v -> v == null ? "" : v).reduce("", (x, y) -> x + '\u0000' + y);
  }

  private record GroupKey(long windowStart, Map<Dimension, String> dimensions) {}
}
