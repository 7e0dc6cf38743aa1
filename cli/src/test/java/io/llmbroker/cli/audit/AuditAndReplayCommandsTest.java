package io.llmbroker.cli.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.archive.ArchivedRecord;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code llm-broker audit ...} and {@code llm-broker replay} as a shell runs them, on an archive of
 * six calls; replay goes through the real broker to the real worker (bundled config: simulated
 * providers, aliases fast and smart).
 */
class AuditAndReplayCommandsTest {

  private static final Instant AT = Instant.parse("2026-12-01T10:00:00Z");

  private static KafkaFixture kafka;
  private static String prefix;
  private static WorkerService worker;

  @TempDir static Path archive;

  @BeforeAll
  static void archiveAndWorker() throws Exception {
    new ArchiveDirectory(archive).commit(LocalDate.parse("2026-12-01"), 0, 0, IntStream.range(0, 6)
        .mapToObj(i -> new ArchivedRecord(i, call("orig-" + i, i % 2 == 0 ? "search" : "support"))).toList());
    kafka = KafkaFixture.get();
    prefix = "r" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
        "LLM_BROKER_TOPIC_PREFIX", prefix, "LLM_BROKER_WORKER_OPS_PORT", "0");
    worker = WorkerService.start(WorkerConfig.parse(WorkerConfig.bundledYaml(), env), env);
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void queryPrintsCsv() {
    Run run = run("audit", "query", "--archive", archive.toString(), "--format", "csv",
        "SELECT team, count(*) AS calls FROM calls GROUP BY team ORDER BY team");

    assertThat(run.code()).isZero();
    assertThat(run.out().lines()).containsExactly("team,calls", "search,3", "support,3");
  }

  @Test
  void aWrongQueryIsOneClearLine() {
    Run run = run("audit", "query", "--archive", archive.toString(), "SELECT nope FROM calls");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("llm-broker:", "nope");
  }

  @Test
  void showPrintsOneCall() {
    Run run = run("audit", "show", "--archive", archive.toString(), "orig-3");

    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("orig-3", "team support", "question 3", "answer 3");
  }

  @Test
  void exportWritesAnEvalSetFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("eval.jsonl");

    Run run = run("audit", "export", "--archive", archive.toString(), "--where", "team = 'search'",
        "--format", "openai-chat", "-o", file.toString());

    assertThat(run.code()).isZero();
    assertThat(Files.readAllLines(file)).hasSize(3).allSatisfy(l -> assertThat(l).contains("\"assistant\""));
  }

  @Test
  void replaySendsTheWindowAgainToTheCandidateAndReportsSideBySide(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report.md");

    Run run = run("replay", "--archive", archive.toString(), "--bootstrap-server", kafka.bootstrapServers(),
        "--topic-prefix", prefix, "--from", "2026-12-01", "--to", "2026-12-02", "--where", "team = 'search'",
        "--model", "smart", "--timeout", "60s", "--report", report.toString());

    assertThat(run.code()).as(run.err()).isZero();
    String text = Files.readString(report);
    assertThat(text).contains("3 archived calls", "`smart`", "llm.replay=replay-", "| answered (OK) | 3 | 3 |",
        "| errors | 0 | 0 |", "latency p95", "answer length", "orig-0", "orig-2", "orig-4").doesNotContain("orig-1");
    assertThat(AuditArchive.count(archive)).isEqualTo(6);
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static AuditRecord call(String id, String team) {
    long at = AT.toEpochMilli();
    LlmRequest request = LlmRequest.newBuilder().setId(id).setTeam(team).setApp("web").setModel("fast")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText("question " + id.substring(5)).build())).build()))
        .setReplyTo("web").setCreatedAt(at).build();
    LlmResponse response = LlmResponse.newBuilder().setRequestId(id).setStatus(ResponseStatus.OK)
        .setContent("answer " + id.substring(5)).setCostMicros(100).setProvider("simulated")
        .setTimings(Timings.newBuilder().setReceivedAt(at).setTotalMs(200 + 10L * id.hashCode() % 50).build())
        .setCompletedAt(at).build();
    return AuditRecord.newBuilder().setRequestId(id).setRequest(request).setResponse(response).setWorker("w-1")
        .setRecordedAt(at).build();
  }
}
