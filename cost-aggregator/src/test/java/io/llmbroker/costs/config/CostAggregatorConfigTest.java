package io.llmbroker.costs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CostAggregatorConfigTest {

  private static final String MINIMAL = "kafka: {bootstrap.servers: \"k:9092\"}\n";

  @Test
  void bundledConfigReadsBrokerPortAndPrefixFromTheEnvironment() {
    Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092", "LLM_BROKER_COSTS_PORT", "0",
        "LLM_BROKER_TOPIC_PREFIX", "staging.", "LLM_BROKER_DATA_DIR", "/var/lib/llm");

    CostAggregatorConfig config = CostAggregatorConfig.parse(CostAggregatorConfig.bundledYaml(), env);

    assertThat(config.kafka()).containsEntry("bootstrap.servers", "kafka:19092");
    assertThat(config.ops().port()).isZero();
    assertThat(config.topics().catalogue().usage().name()).isEqualTo("staging.llm.usage");
    assertThat(config.streams().applicationId()).isEqualTo("staging.llm-broker-cost-aggregator");
    assertThat(config.streams().stateDir()).isEqualTo(Path.of("/var/lib/llm/state/cost-aggregator"));
  }

  @Test
  void streamsPropertiesAskForExactlyOnceAndSendBadRecordsToTheDeadLetterTopic() {
    CostAggregatorConfig config = CostAggregatorConfig.parse(MINIMAL + "topics: {prefix: p., replication-factor: 3}", Map.of());

    Properties props = config.streamsProperties();

    assertThat(props).containsEntry("processing.guarantee", "exactly_once_v2")
        .containsEntry("bootstrap.servers", "k:9092")
        .containsEntry("replication.factor", 3)
        .containsEntry("errors.dead.letter.queue.topic.name", "p.llm.dlq");
  }

  @Test
  void omittedSectionsTakeTheDefaults() {
    CostAggregatorConfig config = CostAggregatorConfig.parse(MINIMAL, Map.of());

    assertThat(config.ops().port()).isEqualTo(8082);
    assertThat(config.rollup().grace()).isEqualTo(Duration.ofHours(1));
    assertThat(config.rollup().dedupWindow()).isEqualTo(Duration.ofDays(2));
    assertThat(config.topics().partitions()).isEqualTo(6);
  }

  @Test
  void dedupWindowShorterThanADayPlusGraceIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> CostAggregatorConfig.parse(MINIMAL + "rollup: {dedup-window: 12h}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rollup")
        .hasMessageContaining("dedup-window")
        .hasMessageContaining("PT12H");
  }

  @Test
  void misspelledKeyIsRefusedNamingIt() {
    assertThatThrownBy(() -> CostAggregatorConfig.parse(MINIMAL + "ops: {prot: 80}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("prot");
  }

  @Test
  void badPortIsRefusedNamingTheValue() {
    assertThatThrownBy(() -> CostAggregatorConfig.parse(MINIMAL + "ops: {port: 70000}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ops")
        .hasMessageContaining("70000");
  }

  @Test
  void missingBootstrapServersIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> CostAggregatorConfig.parse("topics: {partitions: 3}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.bootstrap.servers");
  }
}
