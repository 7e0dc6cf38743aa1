package io.llmbroker.cli.client;

import static io.llmbroker.cli.client.ClientCommandsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done means": a service and a batch job, each against the real broker and the real
 * worker with its bundled configuration (simulated providers, aliases fast and smart).
 */
class AgainstTheWorkerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static KafkaFixture kafka;
  private static String prefix;
  private static WorkerService worker;

  @TempDir
  Path dir;

  @BeforeAll
  static void startWorker() {
    kafka = KafkaFixture.get();
    prefix = "w" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Map<String, String> env = Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
        "LLM_BROKER_TOPIC_PREFIX", prefix,
        "LLM_BROKER_WORKER_OPS_PORT", "0");
    worker = WorkerService.start(WorkerConfig.parse(WorkerConfig.bundledYaml(), env), env);
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void aServiceGetsEveryAnswerWithItsCostFromTheWorker() throws Exception {
    ClientConfig config = ClientConfig.of(kafka.bootstrapServers(), "checkout").withTopicPrefix(prefix)
        .withDefaultTimeout(WAIT);

    try (LlmBrokerClient client = LlmBrokerClient.create(config)) {
      List<CompletableFuture<LlmResponse>> replies = IntStream.range(0, 50)
          .mapToObj(i -> client.request().model(i % 2 == 0 ? "fast" : "smart").team("payments").app("checkout")
              .priority(Priority.INTERACTIVE).user("question " + i).submit())
          .toList();
      CompletableFuture<LlmResponse> unknownAlias = client.request().model("no-such-alias").team("payments").app("checkout")
          .user("x").submit();
      CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(replies).allSatisfy(f -> {
        LlmResponse r = f.join();
        assertThat(r.getStatus()).isEqualTo(ResponseStatus.OK);
        assertThat(r.getContent()).isNotBlank();
        assertThat(r.getCostMicros()).isPositive();
      });
      assertThat(unknownAlias.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus()).isEqualTo(ResponseStatus.INVALID);
      assertThat(client.pendingCount()).isZero();
    }
  }

  @Test
  void theSubmitCommandPrintsTheAnswerItsCostAndLatency() {
    CliRun run = CliRun.run(new SubmitCommand(), "What is Kafka?", "--model", "fast", "--team", "x",
        "--bootstrap-server", kafka.bootstrapServers(), "--topic-prefix", prefix);

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("status OK").contains("cost $").contains("latency ");
  }

  @Test
  void aBatchFileComesBackAsAResultsFileMatchingItsInputsByCustomId() throws Exception {
    List<String> input = new ArrayList<>(IntStream.rangeClosed(1, 200).mapToObj(i -> chatLine("row-" + i, "fast", "prompt " + i)).toList());
    input.set(99, chatLine("row-100", "no-such-alias", "unroutable"));
    Path file = Files.write(dir.resolve("prompts.jsonl"), input);
    String[] common = {"--bootstrap-server", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--state-dir", dir.resolve("state").toString(), "--no-progress"};

    CliRun submitted = CliRun.run(new BatchSubmitCommand(), concat(new String[] {file.toString(), "--team", "research"}, common));
    String batchId = submitted.out().lines().reduce((a, b) -> b).orElseThrow();
    CliRun results = CliRun.run(new BatchResultsCommand(), concat(new String[] {batchId, "-o", dir.resolve("out.jsonl").toString(),
        "--wait", "--max-wait", "60s"}, common));
    CliRun status = CliRun.run(new BatchStatusCommand(), concat(new String[] {batchId}, common));

    assertThat(submitted.exitCode()).as(submitted.err()).isZero();
    assertThat(results.exitCode()).as(results.out() + results.err()).isZero();
    List<JsonNode> out = readJsonl(dir.resolve("out.jsonl"));
    assertThat(out).extracting(n -> n.path("custom_id").asText())
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 200).mapToObj(i -> "row-" + i).toList());
    assertThat(out.get(0).path("response").path("status_code").asInt()).isEqualTo(200);
    assertThat(out.get(0).path("response").path("body").path("choices").get(0).path("message").path("content").asText()).isNotBlank();
    assertThat(readJsonl(dir.resolve("out.errors.jsonl"))).extracting(n -> n.path("custom_id").asText() + ":" + n.path("error").path("code").asText())
        .containsExactly("row-100:invalid");
    assertThat(status.out()).contains("200 of 200 lines done").contains("OK 199").contains("INVALID 1");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static List<JsonNode> readJsonl(Path file) throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String text : Files.readAllLines(file)) {
      nodes.add(JSON.readTree(text));
    }
    return nodes;
  }
}
