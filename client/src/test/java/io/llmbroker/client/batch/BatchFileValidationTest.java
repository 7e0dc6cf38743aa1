package io.llmbroker.client.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchFileValidationTest {

  @TempDir
  Path dir;

  static String line(String customId, String prompt) {
    return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
        + "\"body\":{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}}";
  }

  @Test
  void everyBadLineIsReportedWithItsNumberAndReason() throws Exception {
    Path file = Files.write(dir.resolve("in.jsonl"), List.of(
        line("a", "one"),
        "{not json",
        line("b", "two"),
        "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{}}",
        line("a", "again"),
        "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}"));

    BatchFileValidation result = BatchFileValidation.validate(file, true, ProgressListener.NONE);

    assertThat(result.lines()).isEqualTo(6);
    assertThat(result.errors()).extracting(LineError::line).containsExactly(2L, 4L, 5L, 6L);
    assertThat(result.errors().get(0).reason()).startsWith("malformed JSON");
    assertThat(result.errors().get(1).reason()).contains("unsupported url");
    assertThat(result.errors().get(2).reason()).isEqualTo("duplicate custom_id 'a' (first at line 1)");
    assertThat(result.errors().get(3).reason()).contains("custom_id is missing");
  }

  @Test
  void aCleanFileIsValidAndItsDigestIdentifiesIt() throws Exception {
    Path a = Files.write(dir.resolve("a.jsonl"), List.of(line("1", "x"), line("2", "y")));
    Path b = Files.write(dir.resolve("b.jsonl"), List.of(line("1", "x"), line("2", "z")));

    BatchFileValidation first = BatchFileValidation.validate(a, true, ProgressListener.NONE);
    BatchFileValidation second = BatchFileValidation.validate(b, true, ProgressListener.NONE);

    assertThat(first.valid()).isTrue();
    assertThat(first.lines()).isEqualTo(2);
    assertThat(first.sha256()).isNotEqualTo(second.sha256());
  }
}
