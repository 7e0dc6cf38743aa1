package io.llmbroker.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigFileTest {

  record Lane(String name, int maxConcurrency, Duration timeout) {
    Lane {
      if (maxConcurrency < 1) {
        throw new IllegalArgumentException("max-concurrency must be >= 1: " + maxConcurrency);
      }
    }
  }

  record Sample(Map<String, String> kafka, List<Lane> lanes) {}

  record Ops(String host, Integer port) {}

  record Service(Ops ops, List<String> hosts) {}

  @Test
  void substitutesEnvironmentVariablesAndDefaults() {
    Sample sample = ConfigFile.parse("""
        kafka:
          bootstrap.servers: ${BOOTSTRAP}
          client.id: ${CLIENT_ID:-worker}
        lanes: []
        """, Sample.class, Map.of("BOOTSTRAP", "kafka:9092"));

    assertThat(sample.kafka()).containsEntry("bootstrap.servers", "kafka:9092").containsEntry("client.id", "worker");
  }

  @Test
  void aMissingVariableNamesTheKeyAndTheVariable() {
    assertThatThrownBy(() -> ConfigFile.parse("kafka: {bootstrap.servers: '${NOPE}'}\nlanes: []", Sample.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.bootstrap.servers")
        .hasMessageContaining("NOPE");
  }

  @Test
  void aValueRejectedByItsRecordNamesTheKeyPathAndTheValue() {
    assertThatThrownBy(() -> ConfigFile.parse("""
        kafka: {}
        lanes:
          - {name: a, max-concurrency: 4, timeout: 30s}
          - {name: b, max-concurrency: 0, timeout: 30s}
        """, Sample.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("lanes[1]")
        .hasMessageContaining("max-concurrency must be >= 1: 0");
  }

  @Test
  void anUnknownKeyIsATypoThatFailsAtStart() {
    assertThatThrownBy(() -> ConfigFile.parse("kafka: {}\nlanes: []\nlane: []", Sample.class, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("lane");
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    Sample sample = ConfigFile.parse("kafka: {}\nlanes: [{name: a, max-concurrency: 1, timeout: 250ms}]", Sample.class, Map.of());

    assertThat(sample.lanes().get(0).timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("'soon'");
  }

  @Test
  void variablesWorkInsideFlowMappingsAndFlowSequences() {
    Service service = ConfigFile.parse("""
        ops: {host: ${HOST:-0.0.0.0}, port: ${PORT:-8081}}
        hosts: [${FIRST:-a}, "${SECOND}", '${THIRD:-c}']
        """, Service.class, Map.of("SECOND", "b"));

    assertThat(service.ops()).isEqualTo(new Ops("0.0.0.0", 8081));
    assertThat(service.hosts()).containsExactly("a", "b", "c");
  }

  @Test
  void aDefaultMayHoldWhatFlowYamlTreatsAsSyntax() {
    Sample sample = ConfigFile.parse("kafka: {client.id: ${CLIENT:-a,b #c}}\nlanes: []", Sample.class, Map.of());

    assertThat(sample.kafka()).containsEntry("client.id", "a,b #c");
  }

  @Test
  void aVariablesValueIsTakenAsTextNeverAsYaml() {
    Sample sample = ConfigFile.parse("kafka: {sasl.jaas.config: ${JAAS}}\nlanes: []", Sample.class,
        Map.of("JAAS", "x: {y} # z, [w]"));

    assertThat(sample.kafka()).containsOnly(Map.entry("sasl.jaas.config", "x: {y} # z, [w]"));
  }
}
