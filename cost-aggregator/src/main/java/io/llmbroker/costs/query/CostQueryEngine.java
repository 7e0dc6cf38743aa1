package io.llmbroker.costs.query;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Answers a {@link CostQuery} from rollups in two steps, so that several instances can each do
 * the first over their own partitions: {@link #rows} filters one source's rollups and sums them by
 * window and grouped dimensions; {@link #finish} merges such parts, keeps the top groups, adds the
 * month forecast and the totals. Stateless.
 */
public final class CostQueryEngine {

  private CostQueryEngine() {}

  /** The whole answer to {@code query} from one source. */
  public static CostAnswer answer(CostQuery query, RollupSource source, Instant now) {
    return finish(query, List.of(rows(query, source)), now);
  }

  /**
   * One source's part of the answer: its rollups that match the filters, summed by window (months
   * from days) and grouped dimensions; in no particular order, without top, forecast or totals.
   */
  public static List<CostRow> rows(CostQuery query, RollupSource source) {
    Granularity stored = query.granularity() == Granularity.MONTH ? Granularity.DAY : query.granularity();
    Map<GroupKey, CostRow> sums = new HashMap<>();
    for (CostRollup rollup : source.rollups(stored, query.from(), query.to(), query.filters().get(Dimension.TEAM))) {
      if (!matches(query, rollup)) {
        continue;
      }
      Map<Dimension, String> dims = new TreeMap<>(Dimension.ORDER);
      query.groupBy().forEach(d -> dims.put(d, d.valueIn(rollup)));
      CostRow row = row(rollup, dims);
      if (query.granularity() == Granularity.MONTH) {
        ZonedDateTime month = row.windowStart().atZone(ZoneOffset.UTC).withDayOfMonth(1);
        row = row.in(month.toInstant(), month.plusMonths(1).toInstant(), dims);
      }
      sums.merge(new GroupKey(row.windowStart(), dims), row, CostRow::plus);
    }
    return new ArrayList<>(sums.values());
  }

  /** Merges parts of one answer (each group in at most one part, or summed when in several) and completes it. */
  public static CostAnswer finish(CostQuery query, List<List<CostRow>> parts, Instant now) {
    Map<GroupKey, CostRow> sums = new LinkedHashMap<>();
    Map<Map<Dimension, String>, Long> costByGroup = new HashMap<>();
    for (List<CostRow> part : parts) {
      for (CostRow row : part) {
        sums.merge(new GroupKey(row.windowStart(), row.dimensions()), row, CostRow::plus);
        costByGroup.merge(row.dimensions(), row.costMicros(), Long::sum);
      }
    }
    CostRow totals = CostAnswer.part(query, new ArrayList<>(sums.values())).totals();
    Set<Map<Dimension, String>> kept = query.top() == 0 ? null : topGroups(costByGroup, query.top());
    List<CostRow> rows = new ArrayList<>();
    for (CostRow row : sums.values()) {
      if (kept == null || kept.contains(row.dimensions())) {
        rows.add(query.granularity() == Granularity.MONTH ? withForecast(query, row, now) : row);
      }
    }
    rows.sort(Comparator.comparing(CostRow::windowStart).thenComparing(CostQueryEngine::dimensionText));
    return new CostAnswer(query, rows, totals);
  }

  private static Set<Map<Dimension, String>> topGroups(Map<Map<Dimension, String>, Long> costByGroup, int n) {
    List<Map.Entry<Map<Dimension, String>, Long>> ranked = new ArrayList<>(costByGroup.entrySet());
    ranked.sort(Map.Entry.<Map<Dimension, String>, Long>comparingByValue().reversed()
        .thenComparing(e -> dimensionText(e.getKey())));
    Set<Map<Dimension, String>> kept = new HashSet<>();
    ranked.stream().limit(n).forEach(e -> kept.add(e.getKey()));
    return kept;
  }

  /**
   * The month in progress, asked for from its first day, gets the cost it will reach at its daily
   * rate so far: cost x month length / time elapsed.
   */
  private static CostRow withForecast(CostQuery query, CostRow row, Instant now) {
    Instant start = row.windowStart();
    Instant end = row.windowEnd();
    if (!now.isAfter(start) || !now.isBefore(end) || query.from().isAfter(start)) {
      return row;
    }
    BigInteger forecast = BigInteger.valueOf(row.costMicros())
        .multiply(BigInteger.valueOf(end.toEpochMilli() - start.toEpochMilli()))
        .divide(BigInteger.valueOf(now.toEpochMilli() - start.toEpochMilli()));
    return row.withForecast(forecast.longValue());
  }

  private static boolean matches(CostQuery query, CostRollup rollup) {
    for (Map.Entry<Dimension, String> filter : query.filters().entrySet()) {
      if (!Objects.equals(filter.getKey().valueIn(rollup), filter.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static CostRow row(CostRollup r, Map<Dimension, String> dims) {
    return new CostRow(Instant.ofEpochMilli(r.getWindowStart()), Instant.ofEpochMilli(r.getWindowEnd()), dims,
        r.getRequests(), r.getInputTokens(), r.getOutputTokens(), r.getCachedInputTokens(), r.getCostMicros(),
        r.getErrors(), r.getLatencyMsTotal(), r.getLatencyMsMax(), null);
  }

  private static String dimensionText(CostRow row) {
    return dimensionText(row.dimensions());
  }

  private static String dimensionText(Map<Dimension, String> dims) {
    StringBuilder text = new StringBuilder();
    dims.values().forEach(v -> text.append(v == null ? "" : v).append('\u0000'));
    return text.toString();
  }

  private record GroupKey(Instant windowStart, Map<Dimension, String> dimensions) {}
}
