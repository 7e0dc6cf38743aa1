package io.llmbroker.costs.query;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * One answer row: the spend of one window for one combination of the grouped-by dimensions.
 *
 * @param dimensions the grouped-by dimensions and their values, in {@link Dimension} order; a
 *     value is null for usage that named no customer
 * @param costMicros the cost in micro-dollars (1 USD = 1,000,000)
 */
public record CostRow(Instant windowStart, Instant windowEnd, Map<Dimension, String> dimensions, long requests,
    long inputTokens, long outputTokens, long cachedInputTokens, long costMicros) {

  public CostRow {
    EnumMap<Dimension, String> copy = new EnumMap<>(Dimension.class);
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
}
