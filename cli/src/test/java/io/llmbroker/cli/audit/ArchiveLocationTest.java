package io.llmbroker.cli.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveLocationTest {

  @TempDir Path work;

  @Test
  void theNewestDemoRunsArchiveIsTheDefault() throws Exception {
    Path older = Files.createDirectories(work.resolve(".llm-broker/runs/run-1/audit"));
    Path newer = Files.createDirectories(work.resolve(".llm-broker/runs/run-2/audit"));
    Files.setLastModifiedTime(older, FileTime.fromMillis(1_000_000));
    Files.setLastModifiedTime(newer, FileTime.fromMillis(2_000_000));

    assertThat(ArchiveLocation.defaultFor(work, Map.of())).isEqualTo(newer);
  }

  @Test
  void theEnvironmentWinsAndTheArchiversDefaultComesLast() {
    assertThat(ArchiveLocation.defaultFor(work, Map.of("LLM_BROKER_AUDIT_DIR", "/srv/audit")))
        .isEqualTo(Path.of("/srv/audit"));
    assertThat(ArchiveLocation.defaultFor(work, Map.of())).isEqualTo(work.resolve("data/audit"));
  }
}
