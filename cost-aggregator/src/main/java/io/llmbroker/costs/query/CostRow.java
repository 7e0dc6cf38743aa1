package io.llmbroker.costs.query;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One answer row: the spend of one window for one combination of the grouped-by dimensions.
 *
 * @param dimensions the grouped-by dimensions and their values, in {@link Dimension#ORDER}; a
 *     value is null for usage that named no customer
 * @param errors requests whose outcome was not OK
 * @param latencyMsTotal the sum of the requests' provider latency; divide by {@code requests} for the mean
 * @param costMicros the cost in micro-dollars (1 USD = 1,000,000)
 * @param forecastMicros for the month in progress, its cost at the month-to-date daily rate; else null
 */
public record CostRow(Instant windowStart, Instant windowEnd, Map<Dimension, String> dimensions, long requests,
    long inputTokens, long outputTokens, long cachedInputTokens, long costMicros, long errors, long latencyMsTotal,
    long latencyMsMax, Long forecastMicros) {

  public CostRow {
    TreeMap<Dimension, String> copy = new TreeMap<>(Dimension.ORDER);
    copy.putAll(dimensions);
    dimensions = Collections.unmodifiableMap(copy);
  }

  /** The cost in US dollars, exact: {@code 1234567} micros is {@code 1.234567}. */
  public BigDecimal costUsd() {
    return BigDecimal.valueOf(costMicros, 6);
  }

  /** The value of one grouped-by dimension; null when absent or not grouped by. */
  public String dimension(Dimension d) {
    return dimensions.get(d);
  }

  /** This row's counts plus {@code other}'s, in this row's window and dimensions. */
  public CostRow plus(CostRow other) {
    return new CostRow(windowStart, windowEnd, dimensions, requests + other.requests, inputTokens + other.inputTokens,
        outputTokens + other.outputTokens, cachedInputTokens + other.cachedInputTokens, costMicros + other.costMicros,
        errors + other.errors, latencyMsTotal + other.latencyMsTotal, Math.max(latencyMsMax, other.latencyMsMax), null);
  }

  /** This row in another window, with other dimensions. */
  CostRow in(Instant start, Instant end, Map<Dimension, String> dims) {
    return new CostRow(start, end, dims, requests, inputTokens, outputTokens, cachedInputTokens, costMicros, errors,
        latencyMsTotal, latencyMsMax, forecastMicros);
  }

  /** This row with a forecast. */
  CostRow withForecast(long micros) {
    return new CostRow(windowStart, windowEnd, dimensions, requests, inputTokens, outputTokens, cachedInputTokens,
        costMicros, errors, latencyMsTotal, latencyMsMax, micros);
  }
}
