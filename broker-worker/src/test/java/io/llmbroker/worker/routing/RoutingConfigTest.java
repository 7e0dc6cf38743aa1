package io.llmbroker.worker.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.config.ConfigFile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingConfigTest {

  record Worker(RoutingConfig routing) {}

  private static final String FULL = """
      routing:
        min-share: {interactive: 0.0, standard: 0.1, batch: 0.1}
        retry: {max-attempts: 3, initial-backoff: 200ms, max-backoff: 10s, attempt-timeout: 60s}
        cooldown: {after-failures: 5, duration: 30s}
        providers:
          sim: {type: simulated, latency: {min: 20ms, max: 200ms}, output-tokens: {min: 20, max: 200}, error-rate: 0.0, rate-limit-rate: 0.0}
          openai: {type: openai, base-url: https://api.openai.com/v1, api-key-env: OPENAI_API_KEY}
          anthropic: {type: anthropic, base-url: https://api.anthropic.com, api-key-env: ANTHROPIC_API_KEY}
          gemini: {type: gemini, base-url: https://generativelanguage.googleapis.com, api-key-env: GEMINI_API_KEY}
        deployments:
          sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 64, rpm: 6000, tpm: 2000000}
          sim-backup: {provider: sim, model: sim-fast-1}
        aliases:
          fast: [sim-fast, sim-backup]
        prices:
          sim-fast-1: {input: "0.15", output: "0.60", cached-input: "0.075"}
      """;

  @Test
  void theDocumentedShapeBindsWithItsDefaults() {
    RoutingConfig config = ConfigFile.parse(FULL, Worker.class, Map.of()).routing();

    assertThat(config.retry().initialBackoff()).isEqualTo(Duration.ofMillis(200));
    assertThat(config.cooldown().duration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.providers().get("sim").latency().max()).isEqualTo(Duration.ofMillis(200));
    assertThat(config.providers().get("openai").kind()).isEqualTo(RoutingConfig.ProviderType.OPENAI);
    assertThat(config.deployments().get("sim-fast").tpm()).isEqualTo(2_000_000L);
    assertThat(config.deployments().get("sim-backup").maxConcurrency()).isEqualTo(16);
    assertThat(config.aliases().get("fast")).containsExactly("sim-fast", "sim-backup");
    assertThat(config.prices().get("sim-fast-1").cachedInput()).isEqualTo("0.075");
  }

  @Test
  void anAliasNamingAnUnknownDeploymentFailsNamingBoth() {
    String yaml = FULL.replace("fast: [sim-fast, sim-backup]", "fast: [sim-fast, sim-typo]");

    assertThatThrownBy(() -> ConfigFile.parse(yaml, Worker.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("alias 'fast'")
        .hasMessageContaining("sim-typo");
  }

  @Test
  void aDeploymentOfAnUnknownProviderFailsNamingIt() {
    String yaml = FULL.replace("{provider: sim, model: sim-fast-1}", "{provider: simm, model: sim-fast-1}");

    assertThatThrownBy(() -> ConfigFile.parse(yaml, Worker.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("sim-backup")
        .hasMessageContaining("simm");
  }

  @Test
  void aZeroConcurrencyFailsNamingTheKeyAndValue() {
    String yaml = FULL.replace("max-concurrency: 64", "max-concurrency: 0");

    assertThatThrownBy(() -> ConfigFile.parse(yaml, Worker.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routing.deployments.sim-fast")
        .hasMessageContaining("max-concurrency must be >= 1: 0");
  }

  @Test
  void sharesAboveOneAndBadPricesAreRejected() {
    assertThatThrownBy(() -> ConfigFile.parse(FULL.replace("batch: 0.1}", "batch: 0.95}"), Worker.class, Map.of()))
        .hasMessageContaining("min-share values must sum to at most 1");
    assertThatThrownBy(() -> ConfigFile.parse(FULL.replace("\"0.60\"", "\"cheap\""), Worker.class, Map.of()))
        .hasMessageContaining("'cheap'");
  }

  @Test
  void anAllowImplicitEntryOfAnUnknownProviderOrShapeFailsNamingIt() {
    assertThatThrownBy(() -> ConfigFile.parse(FULL + "  allow-implicit: [opnai/gpt-4o]\n", Worker.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("opnai/gpt-4o")
        .hasMessageContaining("unknown provider 'opnai'");
    assertThatThrownBy(() -> ConfigFile.parse(FULL + "  allow-implicit: [gpt-4o]\n", Worker.class, Map.of()))
        .hasMessageContaining("provider/model or provider/*: 'gpt-4o'");
  }

  @Test
  void simulatedKeysOnAnHttpProviderAreRejected() {
    assertThatThrownBy(() -> new RoutingConfig.Provider("openai", null, "K", null, null, 0.5, null, null, null, null, null, null))
        .hasMessageContaining("only to type simulated");
  }

  @Test
  void anEmptySectionRoutesNothing() {
    RoutingConfig config = new RoutingConfig(null, null, null, null, null, null, null, null);

    assertThat(config.aliases()).isEmpty();
    assertThat(config.minShare().batch()).isEqualTo(0.1);
    assertThat(List.of(config.retry().maxAttempts())).containsExactly(3);
  }
}
