package io.llmbroker.costs.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The wire forms of an answer. JSON:
 *
 * <pre>{@code
 * {"granularity":"hour","from":"2026-11-23T00:00:00Z","to":"2026-11-24T00:00:00Z","group_by":["team"],
 *  "rows":[{"window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T11:00:00Z","team":"search",
 *           "requests":2,"input_tokens":300,"output_tokens":40,"cached_input_tokens":0,
 *           "cost_micros":1500,"cost_usd":"0.001500"}]}
 * }</pre>
 *
 * CSV: a header row, then one line per row, with the same columns in the same order. Thread-safe.
 */
public final class CostRowsFormat {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CsvMapper CSV = new CsvMapper();

  private CostRowsFormat() {}

  /** The JSON answer to {@code query}. */
  public static String json(CostQuery query, List<CostRow> rows) {
    ObjectNode root = JSON.createObjectNode();
    root.put("granularity", query.granularity().name().toLowerCase(Locale.ROOT));
    root.put("from", query.from().toString());
    root.put("to", query.to().toString());
    ArrayNode groupBy = root.putArray("group_by");
    query.groupBy().forEach(d -> groupBy.add(d.param()));
    ArrayNode out = root.putArray("rows");
    for (CostRow row : rows) {
      ObjectNode r = out.addObject();
      List<String> columns = columns(query);
      List<Object> values = values(query, row);
      for (int i = 0; i < columns.size(); i++) {
        r.putPOJO(columns.get(i), values.get(i));
      }
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CSV answer to {@code query}: header, then rows; an absent value is an empty field. */
  public static String csv(CostQuery query, List<CostRow> rows) {
    CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
    columns(query).forEach(schema::addColumn);
    List<List<Object>> lines = rows.stream().map(row -> values(query, row)).toList();
    try {
      return CSV.writer(schema.build()).writeValueAsString(lines);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the rows of a JSON answer.
   *
   * @throws IllegalArgumentException when {@code json} is not an answer
   */
  public static List<CostRow> rows(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON cost answer: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.path("rows").isArray()) {
      throw new IllegalArgumentException("not a JSON cost answer: no 'rows' array");
    }
    List<CostRow> rows = new ArrayList<>();
    for (JsonNode r : root.path("rows")) {
      Map<Dimension, String> dims = new EnumMap<>(Dimension.class);
      for (JsonNode d : root.path("group_by")) {
        Dimension dim = Dimension.byParam(d.asText())
            .orElseThrow(() -> new IllegalArgumentException("unknown dimension in answer: " + d));
        JsonNode v = r.path(dim.param());
        dims.put(dim, v.isNull() || v.isMissingNode() ? null : v.asText());
      }
      rows.add(new CostRow(Instant.parse(r.path("window_start").asText()), Instant.parse(r.path("window_end").asText()),
          dims, r.path("requests").asLong(), r.path("input_tokens").asLong(), r.path("output_tokens").asLong(),
          r.path("cached_input_tokens").asLong(), r.path("cost_micros").asLong()));
    }
    return rows;
  }

  private static List<String> columns(CostQuery query) {
    List<String> columns = new ArrayList<>(List.of("window_start", "window_end"));
    query.groupBy().forEach(d -> columns.add(d.param()));
    columns.addAll(List.of("requests", "input_tokens", "output_tokens", "cached_input_tokens", "cost_micros", "cost_usd"));
    return columns;
  }

  private static List<Object> values(CostQuery query, CostRow row) {
    List<Object> values = new ArrayList<>(List.of(row.windowStart().toString(), row.windowEnd().toString()));
    query.groupBy().forEach(d -> values.add(row.dimension(d)));
    values.addAll(List.of(row.requests(), row.inputTokens(), row.outputTokens(), row.cachedInputTokens(),
        row.costMicros(), row.costUsd().toPlainString()));
    return values;
  }
}
