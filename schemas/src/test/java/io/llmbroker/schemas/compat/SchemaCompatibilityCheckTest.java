package io.llmbroker.schemas.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaCompatibilityCheckTest {

  private static final Path CURRENT = Path.of("src/main/avro/llm-broker.avdl");
  private static final Path RELEASED = Path.of("released");

  @TempDir
  Path dir;

  @Test
  void theCurrentSchemasAreCompatibleWithEveryReleasedVersion() throws IOException {
    assertThat(SchemaCompatibilityCheck.check(CURRENT, RELEASED)).isEmpty();
  }

  @Test
  void aNewFieldWithoutDefaultBreaksBackwardCompatibilityAndIsNamed() throws IOException {
    Path changed = changedCopy("    string app;\n", "    string app;\n    string cost_center;\n");

    List<String> problems = SchemaCompatibilityCheck.check(changed, RELEASED);

    assertThat(problems).anySatisfy(p -> assertThat(p)
        .contains("io.llmbroker.avro.LlmRequest").contains("not backward compatible")
        .contains("cost_center").contains("llm-broker-v1.avdl"));
  }

  @Test
  void removingAFieldWithoutDefaultBreaksForwardCompatibilityAndIsNamed() throws IOException {
    Path changed = changedCopy("    string team;\n    string app;\n", "    string app;\n");

    List<String> problems = SchemaCompatibilityCheck.check(changed, RELEASED);

    assertThat(problems).anySatisfy(p -> assertThat(p)
        .contains("io.llmbroker.avro.LlmRequest").contains("not forward compatible").contains("team"));
  }

  @Test
  void changingAFieldTypeBreaksBothDirections() throws IOException {
    Path changed = changedCopy("    long created_at;\n", "    string created_at;\n");

    List<String> problems = SchemaCompatibilityCheck.check(changed, RELEASED);

    assertThat(problems).anySatisfy(p -> assertThat(p).contains("not backward compatible").contains("created_at"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("not forward compatible").contains("created_at"));
  }

  @Test
  void anEnumMayLoseASymbolBecauseItsDefaultCatchesUnknownOnes() throws IOException {
    Path changed = changedCopy("INTERACTIVE, STANDARD, BATCH", "INTERACTIVE, STANDARD");

    assertThat(SchemaCompatibilityCheck.check(changed, RELEASED)).isEmpty();
  }

  @Test
  void anOptionalFieldWithADefaultIsCompatibleBothWays() throws IOException {
    Path changed = changedCopy("    string app;\n", "    string app;\n    union { null, string } cost_center = null;\n");

    assertThat(SchemaCompatibilityCheck.check(changed, RELEASED)).isEmpty();
  }

  @Test
  void aRemovedTypeIsReported() throws IOException {
    String text = Files.readString(CURRENT);
    int start = text.indexOf("  enum Granularity");
    int end = text.indexOf("} = HOUR;", start) + "} = HOUR;".length();
    String withoutEnum = text.substring(0, start) + text.substring(end)
        .replace("Granularity granularity;", "string granularity;");
    Path changed = dir.resolve("current.avdl");
    Files.writeString(changed, withoutEnum);

    assertThat(SchemaCompatibilityCheck.check(changed, RELEASED))
        .anySatisfy(p -> assertThat(p).contains("io.llmbroker.avro.Granularity: removed"));
  }

  private Path changedCopy(String from, String to) throws IOException {
    String text = Files.readString(CURRENT);
    assertThat(text).contains(from);
    Path changed = dir.resolve("current.avdl");
    Files.writeString(changed, text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to)));
    return changed;
  }
}
