package io.llmbroker.audit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditArchiverConfigTest {

  private static final String MINIMAL = "kafka: {bootstrap.servers: \"k:9092\"}\n";

  @Test
  void bundledConfigReadsBrokerPortAndDataFolderFromTheEnvironment() {
    Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092", "LLM_BROKER_AUDIT_PORT", "0",
        "LLM_BROKER_DATA_DIR", "/var/lib/llm");

    AuditArchiverConfig config = AuditArchiverConfig.parse(AuditArchiverConfig.bundledYaml(), env);

    assertThat(config.kafka()).containsEntry("bootstrap.servers", "kafka:19092");
    assertThat(config.ops().port()).isZero();
    assertThat(config.archive().dir()).isEqualTo(Path.of("/var/lib/llm/audit"));
    assertThat(config.archive().rollInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.streams().applicationId()).isEqualTo("llm-broker-audit-archiver");
    assertThat(config.streamsProperties()).containsEntry("processing.guarantee", "exactly_once_v2");
  }

  @Test
  void omittedSectionsTakeTheDefaults() {
    AuditArchiverConfig config = AuditArchiverConfig.parse(MINIMAL, Map.of());

    assertThat(config.ops().port()).isEqualTo(8083);
    assertThat(config.archive().dir()).isEqualTo(Path.of("data", "audit"));
  }

  @Test
  void badFlushIntervalIsRefusedNamingTheKeyAndValue() {
    assertThatThrownBy(() -> AuditArchiverConfig.parse(MINIMAL + "archive: {roll-interval: soon}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("archive.roll-interval")
        .hasMessageContaining("soon");
  }

  @Test
  void misspelledKeyIsRefusedNamingIt() {
    assertThatThrownBy(() -> AuditArchiverConfig.parse(MINIMAL + "archive: {directory: /tmp}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("directory");
  }

  @Test
  void missingEnvironmentVariableIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> AuditArchiverConfig.parse(MINIMAL + "archive: {dir: \"${AUDIT_DIR}\"}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("archive.dir")
        .hasMessageContaining("AUDIT_DIR");
  }
}
