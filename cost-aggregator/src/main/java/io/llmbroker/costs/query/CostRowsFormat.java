package io.llmbroker.costs.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.llmbroker.avro.Granularity;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The wire forms of an answer. JSON:
 *
 * <pre>{@code
 * {"granularity":"hour","from":"2026-11-23T00:00:00Z","to":"2026-11-24T00:00:00Z","group_by":["team"],
 *  "rows":[{"window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T11:00:00Z","team":"search",
 *           "requests":2,"input_tokens":300,"output_tokens":40,"cached_input_tokens":0,"errors":0,
 *           "latency_ms_total":900,"latency_ms_max":500,"cost_micros":1500,"cost_usd":"0.001500"}],
 *  "totals":{"requests":2,...,"cost_usd":"0.001500"}}
 * }</pre>
 *
 * Month answers add {@code forecast_cost_micros} (null except for the month in progress).
 * CSV: a header row, then one line per row, with the same columns in the same order (no totals).
 * Thread-safe.
 */
public final class CostRowsFormat {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CsvMapper CSV = new CsvMapper();
  private static final List<String> COUNTS = List.of("requests", "input_tokens", "output_tokens",
      "cached_input_tokens", "errors", "latency_ms_total", "latency_ms_max", "cost_micros", "cost_usd");

  private CostRowsFormat() {}

  /** The JSON form of {@code answer}. */
  public static String json(CostAnswer answer) {
    CostQuery query = answer.query();
    ObjectNode root = JSON.createObjectNode();
    root.put("granularity", query.granularity().name().toLowerCase(Locale.ROOT));
    root.put("from", query.from().toString());
    root.put("to", query.to().toString());
    ArrayNode groupBy = root.putArray("group_by");
    query.groupBy().forEach(d -> groupBy.add(d.param()));
    ArrayNode out = root.putArray("rows");
    List<String> columns = columns(query);
    for (CostRow row : answer.rows()) {
      ObjectNode r = out.addObject();
      List<Object> values = values(query, row);
      for (int i = 0; i < columns.size(); i++) {
        r.putPOJO(columns.get(i), values.get(i));
      }
    }
    ObjectNode totals = root.putObject("totals");
    List<Object> totalValues = counts(answer.totals());
    for (int i = 0; i < COUNTS.size(); i++) {
      totals.putPOJO(COUNTS.get(i), totalValues.get(i));
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CSV form of {@code answer}: header, then rows; an absent value is an empty field. */
  public static String csv(CostAnswer answer) {
    CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
    columns(answer.query()).forEach(schema::addColumn);
    List<List<Object>> lines = answer.rows().stream().map(row -> values(answer.query(), row)).toList();
    try {
      return CSV.writer(schema.build()).writeValueAsString(lines);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the rows of a JSON answer; a grouped-by name that is not a built-in dimension is a tag.
   *
   * @throws IllegalArgumentException when {@code json} is not an answer
   */
  public static List<CostRow> rows(String json) {
    JsonNode root = tree(json);
    List<CostRow> rows = new ArrayList<>();
    for (JsonNode r : root.path("rows")) {
      Map<Dimension, String> dims = new TreeMap<>(Dimension.ORDER);
      for (JsonNode d : root.path("group_by")) {
        Dimension dim = Dimension.byParam(d.asText()).orElse(Dimension.tag(d.asText()));
        JsonNode v = r.path(dim.param());
        dims.put(dim, v.isNull() || v.isMissingNode() ? null : v.asText());
      }
      rows.add(row(r, Instant.parse(r.path("window_start").asText()), Instant.parse(r.path("window_end").asText()), dims));
    }
    return rows;
  }

  /**
   * Reads the totals of a JSON answer, in a row spanning the answer's range.
   *
   * @throws IllegalArgumentException when {@code json} is not an answer
   */
  public static CostRow totals(String json) {
    JsonNode root = tree(json);
    return row(root.path("totals"), Instant.parse(root.path("from").asText()), Instant.parse(root.path("to").asText()), Map.of());
  }

  private static JsonNode tree(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON cost answer: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.path("rows").isArray()) {
      throw new IllegalArgumentException("not a JSON cost answer: no 'rows' array");
    }
    return root;
  }

  private static CostRow row(JsonNode r, Instant start, Instant end, Map<Dimension, String> dims) {
    JsonNode forecast = r.path("forecast_cost_micros");
    return new CostRow(start, end, dims, r.path("requests").asLong(), r.path("input_tokens").asLong(),
        r.path("output_tokens").asLong(), r.path("cached_input_tokens").asLong(), r.path("cost_micros").asLong(),
        r.path("errors").asLong(), r.path("latency_ms_total").asLong(), r.path("latency_ms_max").asLong(),
        forecast.isNumber() ? forecast.asLong() : null);
  }

  private static List<String> columns(CostQuery query) {
    List<String> columns = new ArrayList<>(List.of("window_start", "window_end"));
    query.groupBy().forEach(d -> columns.add(d.param()));
    columns.addAll(COUNTS);
    if (query.granularity() == Granularity.MONTH) {
      columns.add("forecast_cost_micros");
    }
    return columns;
  }

  private static List<Object> values(CostQuery query, CostRow row) {
    List<Object> values = new ArrayList<>(List.of(row.windowStart().toString(), row.windowEnd().toString()));
    query.groupBy().forEach(d -> values.add(row.dimension(d)));
    values.addAll(counts(row));
    if (query.granularity() == Granularity.MONTH) {
      values.add(row.forecastMicros());
    }
    return values;
  }

  private static List<Object> counts(CostRow row) {
    return List.of(row.requests(), row.inputTokens(), row.outputTokens(), row.cachedInputTokens(), row.errors(),
        row.latencyMsTotal(), row.latencyMsMax(), row.costMicros(), row.costUsd().toPlainString());
  }
}
