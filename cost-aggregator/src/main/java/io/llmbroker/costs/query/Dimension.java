package io.llmbroker.costs.query;

import io.llmbroker.costs.topology.RollupKey;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/** A dimension costs are rolled up by; its {@link #param()} names it in queries and in rows. */
public enum Dimension {
  TEAM(RollupKey::team),
  APP(RollupKey::app),
  CUSTOMER(RollupKey::customer),
  PROVIDER(RollupKey::provider),
  MODEL(RollupKey::model);

  private final Function<RollupKey, String> value;

  Dimension(Function<RollupKey, String> value) {
    this.value = value;
  }

  /** The name in query parameters, JSON fields and CSV headers: {@code team}, {@code model}, ... */
  public String param() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** This dimension's value in {@code key}; null for an absent customer. */
  public String valueIn(RollupKey key) {
    return value.apply(key);
  }

  /** The dimension a parameter names, if any. */
  public static Optional<Dimension> byParam(String param) {
    return Arrays.stream(values()).filter(d -> d.param().equals(param)).findFirst();
  }
}
