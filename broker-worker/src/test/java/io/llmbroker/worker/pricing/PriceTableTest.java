package io.llmbroker.worker.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.TokenUsage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriceTableTest {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final PriceTable table = new PriceTable(
      Map.of("gpt-4o-mini", PriceTable.Price.ofUsdPerMillion("0.15", "0.075", "0.60")), meters);

  private static TokenUsage usage(int input, int cached, int output) {
    return TokenUsage.newBuilder().setInputTokens(input).setCachedInputTokens(cached).setOutputTokens(output).build();
  }

  @Test
  void cachedInputIsPricedApartFromFreshInputAndOutput() {
    long cost = table.costMicros("gpt-4o-mini", usage(1_000_000, 400_000, 100_000));

    assertThat(cost).isEqualTo(600_000 * 15 / 100 + 400_000 * 75 / 1000 + 100_000 * 60 / 100);
  }

  @Test
  void theSumIsRoundedOnceHalfUp() {
    // 3 fresh tokens cost 0.45 micros and 6 cached ones 0.45: rounded apart they would cost 0
    long halfUp = table.costMicros("gpt-4o-mini", usage(10, 0, 0));
    long once = table.costMicros("gpt-4o-mini", usage(9, 6, 0));

    assertThat(halfUp).isEqualTo(2);
    assertThat(once).isEqualTo(1);
  }

  @Test
  void aProviderPrefixedModelFindsItsPrice() {
    assertThat(table.costMicros("openai/gpt-4o-mini", usage(0, 0, 1_000_000))).isEqualTo(600_000);
  }

  @Test
  void anUnknownModelCostsNothingAndIsCounted() {
    long cost = table.costMicros("mystery-1", usage(1000, 0, 1000));
    table.costMicros("mystery-1", usage(1000, 0, 1000));

    assertThat(cost).isZero();
    assertThat(meters.get("llm_broker_pricing_unknown_model").tag("model", "mystery-1").counter().count()).isEqualTo(2.0);
  }

  @Test
  void estimatedUsageIsPricedLikeReportedUsageAndCounted() {
    TokenUsage estimated = TokenUsage.newBuilder(usage(0, 0, 1_000_000)).setEstimated(true).build();

    long cost = table.costMicros("gpt-4o-mini", estimated);

    assertThat(cost).isEqualTo(600_000);
    assertThat(meters.get("llm_broker_pricing_estimated_usage").tag("model", "gpt-4o-mini").counter().count())
        .isEqualTo(1.0);
  }
}
