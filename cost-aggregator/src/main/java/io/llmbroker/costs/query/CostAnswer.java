package io.llmbroker.costs.query;

import java.util.List;
import java.util.Map;

/**
 * The answer to a {@link CostQuery}.
 *
 * @param rows ordered by window start, then dimension values; only the top groups when the query asks
 * @param totals every matching row summed, the top groups or not; its window is the query's range
 */
public record CostAnswer(CostQuery query, List<CostRow> rows, CostRow totals) {

  public CostAnswer {
    rows = List.copyOf(rows);
  }

  /** One instance's part of an answer (see {@link CostAnswerer#part}), its rows summed as totals. */
  public static CostAnswer part(CostQuery query, List<CostRow> rows) {
    CostRow totals = new CostRow(query.from(), query.to(), Map.of(), 0, 0, 0, 0, 0, 0, 0, 0, null);
    for (CostRow row : rows) {
      totals = totals.plus(row);
    }
    return new CostAnswer(query, rows, totals);
  }
}
