package io.llmbroker.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.runtime.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PublishingConfigTest {

  private static final String BASE = """
      kafka: {bootstrap.servers: "localhost:9092"%s}
      intake: {max-request-bytes: %d}
      routing:
        providers: {sim: {type: simulated}}
        deployments: {sim-fast: {provider: sim, model: sim-fast-1}}
        aliases: {fast: [sim-fast]}
      %s
      """;

  @Test
  void repliesAreUncompressedAndRecordsUseZstdByDefault() {
    WorkerConfig config = WorkerConfig.parse(BASE.formatted("", 1_000_000, ""), Map.of());

    assertThat(config.publishing().replyCompression()).isEqualTo("none");
    assertThat(config.publishing().recordCompression()).isEqualTo("zstd");
    assertThat(config.publishing().maxAttempts()).isEqualTo(5);
  }

  @Test
  void theBundledConfigStatesTheDefaults() {
    WorkerConfig config = WorkerConfig.parse(WorkerConfig.bundledYaml(), Map.of());

    assertThat(config.publishing()).isEqualTo(new WorkerConfig.Publishing(5, "none", "zstd"));
  }

  @Test
  void anUnknownCodecFailsNamingTheKeyAndTheValue() {
    assertThatThrownBy(() -> WorkerConfig.parse(BASE.formatted("", 1000, "publishing: {record-compression: brotli}"),
        Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("record-compression").hasMessageContaining("brotli");
  }

  @Test
  void aMaxRequestBytesWithoutRoomForADeadLetterFailsNamingBothSettings() {
    assertThatThrownBy(() -> WorkerConfig.parse(BASE.formatted(", max.request.size: \"100000\"", 90_000, ""), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("intake.max-request-bytes").hasMessageContaining("90000")
        .hasMessageContaining("max.request.size").hasMessageContaining("100000");
  }

  @Test
  void kafkasDefaultRequestSizeRefusesTheOldDefaultOfOneMebibyte() {
    assertThatThrownBy(() -> WorkerConfig.parse(BASE.formatted("", 1_048_576, ""), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("1048576");
  }
}
