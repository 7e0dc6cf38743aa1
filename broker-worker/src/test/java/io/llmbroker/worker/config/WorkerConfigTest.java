package io.llmbroker.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerConfigTest {

  private static final String ROUTING = """
      routing:
        providers: {sim: {type: simulated}}
        deployments: {sim-fast: {provider: sim, model: sim-fast-1}}
        aliases: {fast: [sim-fast]}
      """;

  @Test
  void bundledConfigServesTheFastAndSmartAliasesFromTheEnvironmentsBroker() {
    WorkerConfig config = WorkerConfig.parse(WorkerConfig.bundledYaml(),
        Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:29092", "HOSTNAME", "pod-7"));

    assertThat(config.kafka()).containsEntry("bootstrap.servers", "kafka:29092");
    assertThat(config.worker().id()).isEqualTo("pod-7");
    assertThat(config.routing().aliases()).containsEntry("fast", java.util.List.of("sim-fast", "sim-backup"))
        .containsKey("smart");
    assertThat(config.routing().prices()).containsKeys("sim-fast-1", "sim-backup-1", "sim-smart-1");
    assertThat(config.intake().backlogPerClass()).isEqualTo(5000);
    assertThat(config.intake().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void bundledConfigDefaultsToALocalBroker() {
    WorkerConfig config = WorkerConfig.parse(WorkerConfig.bundledYaml(), Map.of());

    assertThat(config.kafka()).containsEntry("bootstrap.servers", "localhost:9092");
    assertThat(config.ops().port()).isEqualTo(8081);
  }

  @Test
  void omittedSectionsTakeTheirDefaults() {
    WorkerConfig config = WorkerConfig.parse("kafka: {bootstrap.servers: 'b:9092'}\n" + ROUTING, Map.of());

    assertThat(config.topics().partitions()).isEqualTo(6);
    assertThat(config.topics().prefix()).isEmpty();
    assertThat(config.intake().maxRequestBytes()).isEqualTo(1_000_000);
    assertThat(config.intake().replyToAllow().matcher("billing-svc").matches()).isTrue();
  }

  @Test
  void aFileIsReadWithItsVariablesSubstituted(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("worker.yaml");
    Files.writeString(file, "kafka: {bootstrap.servers: '${BROKERS}'}\nintake: {drain-timeout: 250ms}\n" + ROUTING);

    WorkerConfig config = WorkerConfig.load(file, Map.of("BROKERS", "k1:9092,k2:9092"));

    assertThat(config.kafka()).containsEntry("bootstrap.servers", "k1:9092,k2:9092");
    assertThat(config.intake().drainTimeout()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void aZeroBacklogFailsNamingTheKeyAndValue() {
    assertThatThrownBy(() -> parse("intake: {backlog-per-class: 0}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("backlog-per-class").hasMessageContaining(": 0");
  }

  @Test
  void anInvalidReplyToPatternFailsNamingTheKeyAndValue() {
    assertThatThrownBy(() -> parse("intake: {reply-to-allow: '[a-z'}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("reply-to-allow").hasMessageContaining("[a-z");
  }

  @Test
  void anInvalidRegisteredReplyToPatternOrReplyTopicCapFailsNamingTheKeyAndValue() {
    assertThatThrownBy(() -> parse("intake: {reply-to-registered: '{app}|(batch-'}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("reply-to-registered").hasMessageContaining("'{app}|(batch-'");
    assertThatThrownBy(() -> parse("intake: {max-reply-topics: 0}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max-reply-topics").hasMessageContaining(": 0");
  }

  @Test
  void theReplyToDefaultsRefuseDotsAndTieRegisteredAppsToTheirOwnNames() {
    WorkerConfig.Intake intake = WorkerConfig.parse(WorkerConfig.bundledYaml(), Map.of()).intake();

    assertThat(intake.replyToAllow().matcher("checkout-eu").matches()).isTrue();
    assertThat(intake.replyToAllow().matcher("checkout.admin").matches()).isFalse();
    assertThat(intake.replyToAllow().pattern()).isEqualTo(parse("").intake().replyToAllow().pattern());
    assertThat(intake.replyToRegistered()).isEqualTo(parse("").intake().replyToRegistered()).isEqualTo("{app}|{app}-.+|batch-.+|gateway");
    assertThat(intake.maxReplyTopics()).isEqualTo(parse("").intake().maxReplyTopics()).isEqualTo(500);
  }

  @Test
  void aBadDurationFailsNamingTheKeyAndValue() {
    assertThatThrownBy(() -> parse("intake: {drain-timeout: soon}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("drain-timeout").hasMessageContaining("soon");
  }

  @Test
  void anOutOfRangePortFailsNamingTheKeyAndValue() {
    assertThatThrownBy(() -> parse("ops: {port: 70000}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("port").hasMessageContaining("70000");
  }

  @Test
  void aMissingBootstrapServerFailsNamingTheKey() {
    assertThatThrownBy(() -> WorkerConfig.parse("kafka: {linger.ms: 5}\n" + ROUTING, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.bootstrap.servers");
  }

  @Test
  void anUnknownKeyFailsNamingIt() {
    assertThatThrownBy(() -> parse("intake: {backlog-per-klass: 10}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("backlog-per-klass");
  }

  @Test
  void anAliasNamingAnUnknownDeploymentFailsNamingBoth() {
    String yaml = "kafka: {bootstrap.servers: 'b:9092'}\n" + ROUTING.replace("fast: [sim-fast]", "fast: [sim-fats]");

    assertThatThrownBy(() -> WorkerConfig.parse(yaml, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fast").hasMessageContaining("sim-fats");
  }

  @Test
  void aRegistryUrlThatIsNotHttpFailsNamingTheKey() {
    assertThatThrownBy(() -> WorkerConfig.parse(
        "kafka: {bootstrap.servers: 'b:9092', schema.registry.url: 'ftp://r'}\n" + ROUTING, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.url").hasMessageContaining("ftp://r");
  }

  private static WorkerConfig parse(String section) {
    return WorkerConfig.parse("kafka: {bootstrap.servers: 'b:9092'}\n" + section + "\n" + ROUTING, Map.of());
  }
}
