package io.llmbroker.worker.pricing;

import io.llmbroker.avro.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prices token usage in integer micro-dollars from per-million-token USD prices, exactly:
 * non-cached input, cached input and output tokens are multiplied by their decimal prices and
 * the sum is rounded once, half-up. Reasoning tokens are part of output tokens and priced as
 * output.
 *
 * <p>A model missing from the table costs 0; the first time each such model is seen a warning
 * is logged, and every time {@code llm_broker_pricing_unknown_model_total} counts it, so
 * unpriced traffic is visible without failing requests. Usage marked {@code estimated} (the
 * provider reported none) is priced like reported usage and counted by
 * {@code llm_broker_pricing_estimated_usage_total}. Immutable table; thread-safe.
 */
public final class PriceTable {

  private static final Logger log = LoggerFactory.getLogger(PriceTable.class);

  /** Prices in micro-dollars per million tokens. */
  public record Price(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {

    /** From USD per million tokens, as written in config. */
    public static Price ofUsdPerMillion(String input, String cachedInput, String output) {
      return new Price(micros(input), micros(cachedInput == null ? input : cachedInput), micros(output));
    }

    private static BigDecimal micros(String usd) {
      return new BigDecimal(usd.trim()).movePointRight(6);
    }
  }

  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

  private final Map<String, Price> prices;
  private final MeterRegistry meters;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public PriceTable(Map<String, Price> prices, MeterRegistry meters) {
    this.prices = Map.copyOf(prices);
    this.meters = meters;
  }

  /** The price of {@code model}, looked up as given, then without a {@code provider/} prefix. */
  public Optional<Price> priceOf(String model) {
    Price p = prices.get(model);
    if (p == null && model.indexOf('/') >= 0) {
      p = prices.get(model.substring(model.indexOf('/') + 1));
    }
    return Optional.ofNullable(p);
  }

  /** Cost of {@code usage} on {@code model} in micro-dollars; 0 for an unknown model. */
  public long costMicros(String model, TokenUsage usage) {
    if (usage.getEstimated()) {
      Counter.builder("llm_broker_pricing_estimated_usage").description("calls priced from estimated token counts")
          .tag("model", model).register(meters).increment();
    }
    Optional<Price> price = priceOf(model);
    if (price.isEmpty()) {
      Counter.builder("llm_broker_pricing_unknown_model").description("usage of a model missing from the price table")
          .tag("model", model).register(meters).increment();
      if (warned.add(model)) {
        log.warn("no price for model '{}': its calls are costed at 0 until a price is configured", model);
      }
      return 0;
    }
    return cost(price.get(), usage);
  }

  /**
   * What {@code usage} on {@code model} would cost, in micro-dollars, without counting it in any
   * metric: for estimates made before a call. Empty for a model missing from the table.
   */
  public Optional<Long> quote(String model, TokenUsage usage) {
    return priceOf(model).map(p -> cost(p, usage));
  }

  private static long cost(Price p, TokenUsage usage) {
    long cached = Math.min(Math.max(0, usage.getCachedInputTokens()), Math.max(0, usage.getInputTokens()));
    long fresh = Math.max(0, usage.getInputTokens()) - cached;
    BigDecimal total = p.input().multiply(BigDecimal.valueOf(fresh))
        .add(p.cachedInput().multiply(BigDecimal.valueOf(cached)))
        .add(p.output().multiply(BigDecimal.valueOf(Math.max(0, usage.getOutputTokens()))));
    return total.divide(MILLION, 0, RoundingMode.HALF_UP).longValueExact();
  }
}
