package io.llmbroker.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.runtime.config.TopicSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsSettingsTest {

  @TempDir Path dir;

  @Test
  void anInstanceKeepsItsGroupInstanceIdAcrossRestartsAndAnotherStateDirGetsAnother() {
    StreamsSettings settings = StreamsSettings.withDefaults(new StreamsSettings("costs", dir.resolve("a"), null), "x");
    StreamsSettings other = StreamsSettings.withDefaults(new StreamsSettings("costs", dir.resolve("b"), null), "x");
    Map<String, String> kafka = Map.of("bootstrap.servers", "k:9092");

    Object first = settings.memberProperties(kafka, TopicSettings.defaults()).get("group.instance.id");
    Object again = settings.memberProperties(kafka, TopicSettings.defaults()).get("group.instance.id");

    assertThat(first).isEqualTo(again).asString().startsWith("costs-");
    assertThat(Files.exists(dir.resolve("a").resolve(InstanceId.FILE))).isTrue();
    assertThat(other.memberProperties(kafka, TopicSettings.defaults()).get("group.instance.id")).isNotEqualTo(first);
  }

  @Test
  void theKafkaSectionMayChooseTheInstanceIdAndTheSession() {
    StreamsSettings settings = StreamsSettings.withDefaults(new StreamsSettings("costs", dir, null), "x");

    Properties props = settings.memberProperties(
        Map.of("bootstrap.servers", "k:9092", "group.instance.id", "pod-7", "session.timeout.ms", "30000"),
        TopicSettings.defaults());

    assertThat(props).containsEntry("group.instance.id", "pod-7").containsEntry("session.timeout.ms", "30000");
    assertThat(settings.properties(Map.of("bootstrap.servers", "k:9092"), TopicSettings.defaults()))
        .containsEntry("session.timeout.ms", StreamsSettings.SESSION_TIMEOUT_MS)
        .doesNotContainKey("group.instance.id");
  }
}
