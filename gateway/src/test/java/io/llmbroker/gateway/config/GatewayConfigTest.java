package io.llmbroker.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.schemas.signing.RequestSigning;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  private static final String PRIVATE_KEY = RequestSigning.encodePrivateKey(RequestSigning.generateKeyPair().getPrivate());

  @Test
  void theBundledFileReadsItsVariables() {
    GatewayConfig config = GatewayConfig.parse(GatewayConfig.bundledYaml(), Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
        "LLM_BROKER_GATEWAY_PORT", "9000", "LLM_BROKER_GATEWAY_SIGNING_KEY_ID", "k-1", "LLM_BROKER_GATEWAY_SIGNING_KEY", PRIVATE_KEY));

    assertThat(config.kafka()).containsEntry("bootstrap.servers", "kafka:9092");
    assertThat(config.ops().port()).isEqualTo(9000);
    assertThat(config.gateway().signingKeyId()).isEqualTo("k-1");
    assertThat(config.gateway().defaultTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.gateway().models()).containsExactly("fast", "smart");
    assertThat(config.toString()).doesNotContain(PRIVATE_KEY);
  }

  @Test
  void badValuesFailAtStartNamingTheKeyAndTheValueButNeverTheSigningKey() {
    assertThatThrownBy(() -> parse("gateway: {max-file-bytes: 10}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("max-file-bytes").hasMessageContaining("10");
    assertThatThrownBy(() -> parse("gateway: {default-timeout: 5m, max-timeout: 1m}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("max-timeout");
    assertThatThrownBy(() -> parse("gateway: {service: 'no spaces'}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("service").hasMessageContaining("no spaces");
    assertThatThrownBy(() -> parse("gateway: {signing-key-id: k-1, signing-key: not-a-key-but-secret}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("signing-key").hasMessageNotContaining("not-a-key-but-secret");
    assertThatThrownBy(() -> parse("gateway: {signing-key: " + PRIVATE_KEY + "}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("signing-key-id").hasMessageNotContaining(PRIVATE_KEY);
  }

  private static GatewayConfig parse(String section) {
    return GatewayConfig.parse("kafka: {bootstrap.servers: \"localhost:9092\"}\n" + section + "\n", Map.of());
  }
}
