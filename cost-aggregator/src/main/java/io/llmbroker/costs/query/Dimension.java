package io.llmbroker.costs.query;

import io.llmbroker.avro.CostRollup;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A dimension costs are rolled up by: one of the five built in ({@link #TEAM}, {@link #APP},
 * {@link #CUSTOMER}, {@link #PROVIDER}, {@link #MODEL}) or a request tag the aggregator is
 * configured to roll up. Its {@link #param()} names it in queries and in rows. Immutable.
 *
 * @param param the name in query parameters, JSON fields and CSV headers
 * @param tag true for a request tag
 */
public record Dimension(String param, boolean tag) {

  public static final Dimension TEAM = new Dimension("team", false);
  public static final Dimension APP = new Dimension("app", false);
  public static final Dimension CUSTOMER = new Dimension("customer", false);
  public static final Dimension PROVIDER = new Dimension("provider", false);
  public static final Dimension MODEL = new Dimension("model", false);

  /** The built-in dimensions, in their display order. */
  public static final List<Dimension> BUILT_IN = List.of(TEAM, APP, CUSTOMER, PROVIDER, MODEL);

  /** Built-in dimensions first in their order, then tags by name. */
  public static final Comparator<Dimension> ORDER = Comparator.comparing((Dimension d) -> d.tag)
      .thenComparingInt(d -> d.tag ? 0 : BUILT_IN.indexOf(d))
      .thenComparing(d -> d.param);

  /** The dimension of request tag {@code name}. */
  public static Dimension tag(String name) {
    return new Dimension(name, true);
  }

  /**
   * This dimension's value in {@code rollup}: null for an absent customer, {@code ""} for a tag the
   * usage did not carry.
   */
  public String valueIn(CostRollup rollup) {
    if (tag) {
      return rollup.getTags().getOrDefault(param, "");
    }
    return switch (param) {
      case "team" -> rollup.getTeam();
      case "app" -> rollup.getApp();
      case "customer" -> rollup.getCustomer();
      case "provider" -> rollup.getProvider();
      default -> rollup.getModel();
    };
  }

  /** The dimension a parameter names, among the built-in ones and {@code tags}. */
  public static Optional<Dimension> byParam(String param, Collection<String> tags) {
    return BUILT_IN.stream().filter(d -> d.param.equals(param)).findFirst()
        .or(() -> tags.contains(param) ? Optional.of(tag(param)) : Optional.empty());
  }

  /** The built-in dimension {@code param} names, if any. */
  public static Optional<Dimension> byParam(String param) {
    return byParam(param, List.of());
  }

  @Override
  public String toString() {
    return param;
  }
}
