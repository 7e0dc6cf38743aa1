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
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One question to the cost rollups: which windows ({@code granularity}, window starts in
 * {@code [from, to)}), summed by which dimensions ({@code groupBy}; none gives one total per
 * window), restricted to which dimension values ({@code filters}, exact match), keeping the
 * {@code top} groups by cost (0 keeps all). Immutable.
 *
 * <p>Its query-string form, used by {@code GET /api/costs}:
 * {@code granularity=hour|day|month&from=ISO&to=ISO&group-by=team,model&top=10&team=x&app=..&customer=..&provider=..&model=..&<tag>=..}.
 * {@code from} and {@code to} are ISO instants ({@code 2026-11-23T10:00:00Z}), offset date-times
 * or dates (midnight UTC). A month row sums the days of its calendar month (UTC) that start in
 * {@code [from, to)}.
 */
public record CostQuery(Granularity granularity, Instant from, Instant to, List<Dimension> groupBy,
    Map<Dimension, String> filters, int top) {

  /** The window asked for when {@code from} is not given: a day of hours, 30 days, this month and the 11 before. */
  static final Duration DEFAULT_HOURLY_SPAN = Duration.ofDays(1);
  static final Duration DEFAULT_DAILY_SPAN = Duration.ofDays(30);
  static final int DEFAULT_MONTHS = 12;

  /** The longest range one query may cover, per granularity. */
  public static final Duration MAX_HOURLY_SPAN = Duration.ofDays(35);
  public static final Duration MAX_DAILY_SPAN = Duration.ofDays(400);

  private static final Set<String> PARAMETERS = Set.of("granularity", "from", "to", "group-by", "top", "format");

  /** @throws InvalidQueryException naming the parameter that makes the query unanswerable */
  public CostQuery {
    if (granularity == null) {
      throw new InvalidQueryException("granularity", null, "must be hour, day or month");
    }
    if (from == null || to == null || !from.isBefore(to)) {
      throw new InvalidQueryException("from", String.valueOf(from), "must be before 'to' (" + to + ")");
    }
    Duration max = granularity == Granularity.HOUR ? MAX_HOURLY_SPAN : MAX_DAILY_SPAN;
    if (Duration.between(from, to).compareTo(max) > 0) {
      throw new InvalidQueryException("from", from.toString(), "the range to '" + to + "' is longer than the "
          + max.toDays() + " days a " + granularity.name().toLowerCase(Locale.ROOT) + " query may cover"
          + (granularity == Granularity.HOUR ? "; use granularity=day" : ""));
    }
    groupBy = List.copyOf(new LinkedHashSet<>(groupBy));
    TreeMap<Dimension, String> copy = new TreeMap<>(Dimension.ORDER);
    copy.putAll(filters);
    filters = Collections.unmodifiableMap(copy);
    if (top < 0) {
      throw new InvalidQueryException("top", String.valueOf(top), "must be >= 1");
    }
    if (top > 0 && groupBy.isEmpty()) {
      throw new InvalidQueryException("top", String.valueOf(top), "needs group-by: it keeps the groups that cost most");
    }
  }

  /** All usage in {@code [from, to)}, one total per window. */
  public static CostQuery of(Granularity granularity, Instant from, Instant to) {
    return new CostQuery(granularity, from, to, List.of(), Map.of(), 0);
  }

  /** This query summed by {@code dimensions} instead. */
  public CostQuery groupedBy(Dimension... dimensions) {
    return new CostQuery(granularity, from, to, List.of(dimensions), filters, top);
  }

  /** This query restricted to usage whose {@code dimension} equals {@code value}. */
  public CostQuery where(Dimension dimension, String value) {
    Map<Dimension, String> more = new TreeMap<>(Dimension.ORDER);
    more.putAll(filters);
    more.put(dimension, value);
    return new CostQuery(granularity, from, to, groupBy, more, top);
  }

  /** This query keeping only the {@code n} groups that cost most over the whole range. */
  public CostQuery top(int n) {
    return new CostQuery(granularity, from, to, groupBy, filters, n);
  }

  /** Reads a query that uses the built-in dimensions only: see {@link #fromParameters(Map, Instant, Collection)}. */
  public static CostQuery fromParameters(Map<String, String> params, Instant now) {
    return fromParameters(params, now, List.of());
  }

  /**
   * Reads a query from request parameters ({@code format} is allowed and ignored here).
   *
   * @param now the default {@code to}
   * @param tags the tags rolled up as dimensions
   * @throws InvalidQueryException naming the first parameter that is unknown, repeated or bad
   */
  public static CostQuery fromParameters(Map<String, String> params, Instant now, Collection<String> tags) {
    for (String name : params.keySet()) {
      if (!PARAMETERS.contains(name) && Dimension.byParam(name, tags).isEmpty()) {
        throw new InvalidQueryException(name, params.get(name), "unknown parameter; known: "
            + PARAMETERS + " and the dimensions " + dimensionNames(tags));
      }
    }
    Granularity granularity = granularity(params.getOrDefault("granularity", "hour"));
    Instant to = params.containsKey("to") ? instant("to", params.get("to")) : now;
    Instant from = params.containsKey("from") ? instant("from", params.get("from")) : defaultFrom(granularity, to);
    List<Dimension> groupBy = new ArrayList<>();
    String groupByText = params.getOrDefault("group-by", "");
    for (String name : groupByText.split(",")) {
      if (!name.isBlank()) {
        groupBy.add(Dimension.byParam(name.trim().toLowerCase(Locale.ROOT), tags).orElseThrow(() -> new InvalidQueryException(
            "group-by", groupByText, "unknown dimension '" + name.trim() + "'; known: " + dimensionNames(tags))));
      }
    }
    Map<Dimension, String> filters = new TreeMap<>(Dimension.ORDER);
    for (String name : params.keySet()) {
      Dimension d = Dimension.byParam(name, tags).orElse(null);
      String value = params.get(name);
      if (d != null) {
        // An empty tag value selects the untagged usage; every other dimension always has a value.
        if (value.isBlank() && !d.tag()) {
          throw new InvalidQueryException(d.param(), value, "must not be blank");
        }
        filters.put(d, value);
      }
    }
    return new CostQuery(granularity, from, to, groupBy, filters, top(params.get("top")));
  }

  private static Instant defaultFrom(Granularity granularity, Instant to) {
    return switch (granularity) {
      case HOUR -> to.minus(DEFAULT_HOURLY_SPAN);
      case DAY -> to.minus(DEFAULT_DAILY_SPAN);
      case MONTH -> to.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).minusMonths(DEFAULT_MONTHS - 1)
          .atStartOfDay(ZoneOffset.UTC).toInstant();
    };
  }

  private static int top(String text) {
    if (text == null) {
      return 0;
    }
    try {
      int n = Integer.parseInt(text.trim());
      if (n < 1) {
        throw new InvalidQueryException("top", text, "must be >= 1");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new InvalidQueryException("top", text, "must be a whole number");
    }
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
    if (top > 0) {
      q.add("top=" + top);
    }
    filters.forEach((d, v) -> q.add(d.param() + "=" + encode(v)));
    return q.toString();
  }

  private static Granularity granularity(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "hour" -> Granularity.HOUR;
      case "day" -> Granularity.DAY;
      case "month" -> Granularity.MONTH;
      default -> throw new InvalidQueryException("granularity", text, "must be hour, day or month");
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

  private static String dimensionNames(Collection<String> tags) {
    List<String> names = new ArrayList<>(Dimension.BUILT_IN.stream().map(Dimension::param).toList());
    names.addAll(tags);
    return names.toString();
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
