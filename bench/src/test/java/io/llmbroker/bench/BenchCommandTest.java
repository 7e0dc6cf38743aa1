package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmarks at small sizes on the real broker: each measures real traffic through the
 * worker, writes its result block, and leaves no topic of its run behind.
 */
class BenchCommandTest {

  @TempDir
  Path dir;

  @Test
  void latencyBenchTimesEveryMeasuredRequestAndCleansUp() throws Exception {
    Path out = dir.resolve("latency.md");

    int exit = bench("latency", "--rate", "50", "--seconds", "2", "--warmup-seconds", "1", "--markdown-out", out.toString());

    String md = Files.readString(out);
    assertThat(exit).isZero();
    assertThat(md).startsWith("### Added latency, submit to reply\n")
        .contains("| requests measured | 100 |", "| failed or unanswered | 0 |", "| p99 | ", "**Result: ");
    assertThat(topicsNamed("bench-latency-")).isEmpty();
  }

  @Test
  void throughputBenchCountsEveryResponseOfTheBacklog() throws Exception {
    Path out = dir.resolve("throughput.md");

    int exit = bench("throughput", "--requests", "2000", "--markdown-out", out.toString());

    String md = Files.readString(out);
    assertThat(exit).isZero();
    assertThat(md).contains("| requests answered | 2,000 of 2,000 |", "| statuses | {OK=2000} |", "| throughput | ");
    assertThat(topicsNamed("bench-throughput-")).isEmpty();
  }

  @Test
  void signaturesBenchAnswersEverySignedRequestWithVerificationRequired() throws Exception {
    Path out = dir.resolve("signatures.md");

    int exit = bench("signatures", "--requests", "1000", "--markdown-out", out.toString());

    String md = Files.readString(out);
    assertThat(exit).isZero();
    assertThat(md).startsWith("### Cost of signature verification\n")
        .contains("| unsigned: answered, statuses | 1000, {OK=1000} |", "| signed: answered, statuses | 1000, {OK=1000} |",
            "| throughput with verification | ", "| one verification, one thread | ");
    assertThat(topicsNamed("bench-signatures-")).isEmpty();
  }

  @Test
  void capsBenchReportsWhatTheFakeProviderSawFromAGroupOfWorkers() throws Exception {
    Path out = dir.resolve("caps.md");

    int exit = bench("caps", "--workers", "2", "--cap", "4", "--latency-ms", "50", "--requests", "600",
        "--settle-seconds", "1", "--seconds", "2", "--markdown-out", out.toString());

    String md = Files.readString(out);
    Matcher windowMax = Pattern.compile("\\| maximum at once, measured window \\| (\\d+) \\|").matcher(md);
    assertThat(exit).isZero();
    assertThat(md).startsWith("### Cap fidelity with 2 workers\n").contains("| cap | 4 |", "| maximum at once, whole run | ");
    assertThat(windowMax.find()).isTrue();
    assertThat(Integer.parseInt(windowMax.group(1))).as("calls the provider served at once").isPositive();
    assertThat(topicsNamed("bench-caps-")).isEmpty();
  }

  private static int bench(String... args) {
    String[] full = new String[args.length + 1];
    full[0] = args[0];
    full[1] = "--bootstrap-servers=" + KafkaFixture.get().bootstrapServers();
    System.arraycopy(args, 1, full, 2, args.length - 1);
    return BenchCommand.commandLine().execute(full);
  }

  private static Set<String> topicsNamed(String prefix) throws Exception {
    try (Admin admin = KafkaFixture.get().admin()) {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      return Set.copyOf(names.stream().filter(n -> n.startsWith(prefix)).toList());
    }
  }
}
