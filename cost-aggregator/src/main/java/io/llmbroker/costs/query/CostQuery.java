package io.llmbroker.costs.query;

import io.llmbroker.avro.Granularity;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/**
 * One question to the cost rollups: which windows ({@code granularity}, window starts in
 * {@code [from, to)}), summed by which dimensions ({@code groupBy}; none gives one total per
 * window), restricted to which dimension values ({@code filters}, exact match). Immutable.
 *
 * <p>Its query-string form, used by {@code GET /api/costs}:
 * {@code granularity=hour|day&from=ISO&to=ISO&group-by=team,model&team=x&app=..&customer=..&provider=..&model=..}.
 * {@code from} and {@code to} are ISO instants ({@code 2026-11-23T10:00:00Z}), offset date-times
 * or dates (midnight UTC).
 */
public record CostQuery(Granularity granularity, Instant from, Instant to, List<Dimension> groupBy,
    Map<Dimension, String> filters) {

  /** The window asked for when {@code from} is not given: the last day of hours, the last 30 days. */
  static final Duration DEFAULT_HOURLY_SPAN = Duration.ofDays(1);
  static final Duration DEFAULT_DAILY_SPAN = Duration.ofDays(30);

  private static final Set<String> PARAMETERS = Set.of("granularity", "from", "to", "group-by", "format");

  /** @throws InvalidQueryException when {@code from} is not before {@code to} */
  public CostQuery {
    if (granularity == null) {
      throw new InvalidQueryException("granularity", null, "must be hour or day");
    }
    if (from == null || to == null || !from.isBefore(to)) {
      throw new InvalidQueryException("from", String.valueOf(from), "must be before 'to' (" + to + ")");
    }
    groupBy = List.copyOf(new LinkedHashSet<>(groupBy));
    EnumMap<Dimension, String> copy = new EnumMap<>(Dimension.class);
    copy.putAll(filters);
    filters = Collections.unmodifiableMap(copy);
  }

  /** All usage in {@code [from, to)}, one total per window. */
  public static CostQuery of(Granularity granularity, Instant from, Instant to) {
    return new CostQuery(granularity, from, to, List.of(), Map.of());
  }

  /** This query summed by {@code dimensions} instead. */
  public CostQuery groupedBy(Dimension... dimensions) {
    return new CostQuery(granularity, from, to, List.of(dimensions), filters);
  }

  /** This query restricted to usage whose {@code dimension} equals {@code value}. */
  public CostQuery where(Dimension dimension, String value) {
    Map<Dimension, String> more = new EnumMap<>(Dimension.class);
    more.putAll(filters);
    more.put(dimension, value);
    return new CostQuery(granularity, from, to, groupBy, more);
  }

  /**
   * Reads a query from request parameters ({@code format} is allowed and ignored here).
   *
   * @param now the default {@code to}
   * @throws InvalidQueryException naming the first parameter that is unknown, repeated or bad
   */
  public static CostQuery fromParameters(Map<String, String> params, Instant now) {
    for (String name : params.keySet()) {
      if (!PARAMETERS.contains(name) && Dimension.byParam(name).isEmpty()) {
        throw new InvalidQueryException(name, params.get(name), "unknown parameter; known: "
            + PARAMETERS + " and the dimensions " + dimensionNames());
      }
    }
    Granularity granularity = granularity(params.getOrDefault("granularity", "hour"));
    Instant to = params.containsKey("to") ? instant("to", params.get("to")) : now;
    Instant from = params.containsKey("from") ? instant("from", params.get("from"))
        : to.minus(granularity == Granularity.DAY ? DEFAULT_DAILY_SPAN : DEFAULT_HOURLY_SPAN);
    List<Dimension> groupBy = new ArrayList<>();
    String groupByText = params.getOrDefault("group-by", "");
    for (String name : groupByText.split(",")) {
      if (!name.isBlank()) {
        groupBy.add(Dimension.byParam(name.trim().toLowerCase(Locale.ROOT)).orElseThrow(() -> new InvalidQueryException(
            "group-by", groupByText, "unknown dimension '" + name.trim() + "'; known: " + dimensionNames())));
      }
    }
    Map<Dimension, String> filters = new EnumMap<>(Dimension.class);
    for (Dimension d : Dimension.values()) {
      String value = params.get(d.param());
      if (value != null) {
        if (value.isBlank()) {
          throw new InvalidQueryException(d.param(), value, "must not be blank");
        }
        filters.put(d, value);
      }
    }
    return new CostQuery(granularity, from, to, groupBy, filters);
  }

  /**
   * Splits a raw (still encoded) query string into parameters.
   *
   * @throws InvalidQueryException when a parameter is given twice
   */
  public static Map<String, String> parameters(String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (params.putIfAbsent(name, value) != null) {
        throw new InvalidQueryException(name, value, "given more than once");
      }
    }
    return params;
  }

  /** The query-string form, readable by {@link #fromParameters}. */
  public String toQueryString() {
    StringJoiner q = new StringJoiner("&");
    q.add("granularity=" + granularity.name().toLowerCase(Locale.ROOT));
    q.add("from=" + encode(from.toString()));
    q.add("to=" + encode(to.toString()));
    if (!groupBy.isEmpty()) {
      q.add("group-by=" + groupBy.stream().map(Dimension::param).collect(Collectors.joining(",")));
    }
    filters.forEach((d, v) -> q.add(d.param() + "=" + encode(v)));
    return q.toString();
  }

  private static Granularity granularity(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "hour" -> Granularity.HOUR;
      case "day" -> Granularity.DAY;
      default -> throw new InvalidQueryException("granularity", text, "must be hour or day");
    };
  }

  private static Instant instant(String param, String text) {
    String t = text.trim();
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException notInstant) {
      try {
        return OffsetDateTime.parse(t).toInstant();
      } catch (DateTimeParseException notOffset) {
        try {
          return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException notDate) {
          throw new InvalidQueryException(param, text, "must be an ISO-8601 instant (2026-11-23T10:00:00Z) or date (2026-11-23)");
        }
      }
    }
  }

  private static String dimensionNames() {
    return List.of(Dimension.values()).stream().map(Dimension::param).toList().toString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidQueryException(s, null, "is not URL-encoded properly");
    }
  }
}
