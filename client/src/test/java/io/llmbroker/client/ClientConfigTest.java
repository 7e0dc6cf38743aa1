package io.llmbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientConfigTest {

  @TempDir
  Path dir;

  @Test
  void yamlBindsEverySettingAndSubstitutesTheEnvironment() throws Exception {
    Path file = Files.writeString(dir.resolve("client.yaml"), """
        bootstrap-servers: ${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}
        service: checkout
        team: payments
        app: checkout-api
        default-timeout: 45s
        topic-prefix: staging.
        kafka:
          security.protocol: SASL_SSL
        """);

    ClientConfig config = ClientConfig.load(file, Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9093"));

    assertThat(config.bootstrapServers()).isEqualTo("kafka:9093");
    assertThat(config.service()).isEqualTo("checkout");
    assertThat(config.team()).isEqualTo("payments");
    assertThat(config.defaultTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.topics().responses("checkout").name()).isEqualTo("staging.llm.responses.checkout");
    assertThat(config.kafka()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(config.createReplyTopic()).isTrue();
  }

  @Test
  void aPropertiesFileSplitsClientSettingsFromKafkaProperties() throws Exception {
    Path file = Files.writeString(dir.resolve("client.properties"), """
        bootstrap.servers=broker:9092
        llm-broker.service=reports
        llm-broker.default-timeout=5s
        sasl.mechanism=PLAIN
        """);

    ClientConfig config = ClientConfig.load(file, Map.of());

    assertThat(config.bootstrapServers()).isEqualTo("broker:9092");
    assertThat(config.service()).isEqualTo("reports");
    assertThat(config.defaultTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.kafka()).containsExactly(Map.entry("sasl.mechanism", "PLAIN"));
  }

  @Test
  void aBadValueFailsAtStartNamingTheKeyAndTheValue() throws Exception {
    Path badTimeout = Files.writeString(dir.resolve("a.yaml"), "bootstrap-servers: k:9092\nservice: s\ndefault-timeout: soon\n");
    Path badService = Files.writeString(dir.resolve("b.yaml"), "bootstrap-servers: k:9092\nservice: 'no spaces allowed'\n");

    assertThatThrownBy(() -> ClientConfig.load(badTimeout, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("default-timeout").hasMessageContaining("soon");
    assertThatThrownBy(() -> ClientConfig.load(badService, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("service").hasMessageContaining("no spaces allowed");
  }
}
