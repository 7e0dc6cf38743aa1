package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
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
  void capsBenchReportsWhatTheFakeProviderSawInEveryPhaseOfTheChurn() throws Exception {
    Path out = dir.resolve("caps.md");

    int exit = bench("caps", "--workers", "2", "--cap", "6", "--latency-ms", "50", "--requests", "8000",
        "--settle-seconds", "1", "--seconds", "3", "--markdown-out", out.toString());

    String md = Files.readString(out);
    assertThat(exit).isZero();
    assertThat(md).startsWith("### Cap fidelity with 2 workers, under churn\n")
        .contains("| figure | start-up | steady | join | leave | kill | shutdown |",
            "| workers live after it | 2 | 2 | 3 | 2 | 1 | 0 |", "**Result: ");
    assertThat(row(md, "maximum at once (cap 6)").subList(0, 5)).as("calls the provider served at once, up to the kill phase")
        .allSatisfy(max -> assertThat(Integer.parseInt(max)).isPositive());
    assertThat(row(md, "backlog left at its end").get(4)).as("backlog left when the kill phase ended").isNotEqualTo("0");
    assertThat(topicsNamed("bench-caps-")).isEmpty();
    assertThat(groupsNamed("bench-caps-")).as("consumer groups left, the killed worker's included").isEmpty();
  }

  @Test
  void crashBenchKillsOneOfThreeWorkerProcessesMidBatchAndLosesNoRequest() throws Exception {
    Path out = dir.resolve("crash.md");

    int exit = bench("crash", "--cap", "6", "--latency-ms", "50", "--requests", "400", "--markdown-out", out.toString());

    String md = Files.readString(out);
    assertThat(exit).isZero();
    assertThat(md).startsWith("### Crash recovery, one of 3 workers killed\n")
        .contains("| killed | bench-crash-", "| requests answered | 400 of 400 |", "| requests lost | 0 |", "**Result: ");
    assertThat(row(md, "answered before the kill").get(0)).as("answered before the kill").isNotEqualTo("400");
    assertThat(row(md, "killed worker's partitions served again after").get(0)).matches("\\d+\\.\\d s");
    assertThat(topicsNamed("bench-crash-")).isEmpty();
    assertThat(groupsNamed("bench-crash-")).isEmpty();
  }

  @Test
  void gatewayBenchAnswersEveryCallOnBothPathsAndCleansUp() throws Exception {
    Path out = dir.resolve("gateway.md");

    int exit = bench("gateway", "--rate", "20", "--seconds", "2", "--warmup-seconds", "1", "--in-flight", "4",
        "--markdown-out", out.toString());

    String md = Files.readString(out);
    assertThat(exit).isZero();
    assertThat(md).startsWith("### The gateway's HTTP hop\n")
        .contains("| calls measured | 20 | 20 |", "| failed or unanswered | 0 | 0 |", "**Result: ");
    assertThat(row(md, "requests/s through one gateway, 4 in flight").get(1)).endsWith("(0 failed)");
    assertThat(topicsNamed("bench-gateway-")).isEmpty();
  }

  /** The value cells of the figures table's row {@code name}. */
  private static List<String> row(String markdown, String name) {
    Matcher m = Pattern.compile("^\\| " + Pattern.quote(name) + " \\|(.*)\\|$", Pattern.MULTILINE).matcher(markdown);
    assertThat(m.find()).as("row '" + name + "' in\n" + markdown).isTrue();
    return Arrays.stream(m.group(1).split("\\|")).map(String::trim).toList();
  }

  private static int bench(String... args) {
    String[] full = new String[args.length + 1];
    full[0] = args[0];
    full[1] = "--bootstrap-servers=" + KafkaFixture.get().bootstrapServers();
    System.arraycopy(args, 1, full, 2, args.length - 1);
    return BenchCommand.commandLine().execute(full);
  }

  private static Set<String> groupsNamed(String prefix) throws Exception {
    try (Admin admin = KafkaFixture.get().admin()) {
      return admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
          .filter(g -> g.startsWith(prefix)).collect(Collectors.toSet());
    }
  }

  private static Set<String> topicsNamed(String prefix) throws Exception {
    try (Admin admin = KafkaFixture.get().admin()) {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      return Set.copyOf(names.stream().filter(n -> n.startsWith(prefix)).toList());
    }
  }
}
