package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.await;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.testsupport.FakeProviderServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerCrashTest {

  private static final int REQUESTS = 200;
  private static final String SLOW_ROUTING = """
      routing:
        providers:
          sim: {type: simulated, latency: {min: 100ms, max: 100ms}, output-tokens: {min: 5, max: 5}}
        deployments:
          sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 4}
        aliases:
          fast: [sim-fast]
      """;
  /** A dead member leaves the group after this, so survivors take its partitions quickly. */
  private static final Map<String, String> FAST_FAILOVER = Map.of(
      "session.timeout.ms", "6000", "heartbeat.interval.ms", "1000");

  private final WorkerTestKit kit = new WorkerTestKit(3);
  private Process child;

  @AfterEach
  void cleanUp() {
    if (child != null) {
      child.destroyForcibly();
    }
    kit.close();
  }

  @Test
  void requestsAWorkerKilledWithoutCommittingHadTakenAreAllAnsweredByASurvivor(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("worker.yaml");
    Files.writeString(config, kit.yaml("{commit-interval: 1s}", FAST_FAILOVER, SLOW_ROUTING));
    child = startWorkerMain(config, dir.resolve("worker.log"));
    var responses = kit.probe(kit.topics.responses("svc"));
    List<String> ids = kit.submitAcrossClasses(REQUESTS);
    responses.awaitCount(REQUESTS / 5, WAIT);

    child.destroyForcibly();
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

    Set<String> answeredBeforeKill = keys(responses.records());
    Map<TopicPartition, Long> committed = kit.committed();
    long uncommitted = kit.requestEndOffsets().entrySet().stream()
        .mapToLong(e -> e.getValue() - committed.getOrDefault(e.getKey(), 0L)).sum();
    assertThat(answeredBeforeKill).hasSizeLessThan(REQUESTS);
    assertThat(uncommitted).as("requests the killed worker took without committing").isPositive();

    WorkerService survivor = kit.start(kit.config("", FAST_FAILOVER, SLOW_ROUTING));

    Map<String, LlmResponse> answered = responses.awaitKeys(ids, WAIT);
    assertThat(ids).allSatisfy(id -> assertThat(answered.get(id).getStatus()).isEqualTo(ResponseStatus.OK));
    await("the survivor's commit of every request", WAIT,
        () -> kit.committed().entrySet().containsAll(kit.requestEndOffsets().entrySet()));
    assertThat(survivor.metrics().answeredCount(ResponseStatus.OK)).isEqualTo((double) uncommitted);
  }

  /**
   * Recovery and duplicates with the default consumer settings: a kill -9 of one of two workers
   * under load. Its partitions must be served again within 10 s, and the replies sent twice (those
   * the killed worker sent without its commit of them) stay within the calls the provider was
   * serving: with a 100 ms commit interval a 500 ms call cannot complete twice uncommitted.
   */
  @Test
  void aKilledWorkersPartitionsAreServedWithinTenSecondsAndItsDuplicatesStayWithinTheCap(@TempDir Path dir)
      throws Exception {
    int cap = 9;
    try (FakeProviderServer provider = FakeProviderServer.start().latency(Duration.ofMillis(500))) {
      String routing = WorkerTestKit.fakeRouting(provider, cap);
      Path config = dir.resolve("worker.yaml");
      Files.writeString(config, kit.yaml("{drain-timeout: 10s}", Map.of(), routing));
      kit.start(kit.config("{drain-timeout: 10s}", Map.of(), routing), WorkerTestKit.FAKE_ENV);
      child = startWorkerMain(config, dir.resolve("worker.log"), WorkerTestKit.FAKE_ENV);
      await("two workers sharing the nine request partitions", WAIT, () -> kit.stableGroup(2, 9));
      var responses = kit.probe(kit.topics.responses("svc"));
      List<String> ids = kit.submitAcrossClasses(300);
      responses.awaitCount(60, WAIT);

      int inProgressAtKill = provider.inFlight();
      long killedAt = System.nanoTime();
      child.destroyForcibly();
      await("the survivor owning every request partition", Duration.ofSeconds(30), () -> kit.stableGroup(1, 9));
      double recoverySeconds = (System.nanoTime() - killedAt) / 1e9;

      Map<String, LlmResponse> answered = responses.awaitKeys(ids, WAIT);
      assertThat(ids).allSatisfy(id -> assertThat(answered.get(id).getStatus()).isEqualTo(ResponseStatus.OK));
      long duplicates = responses.records().size() - ids.size();
      System.out.printf("crash: recovery_s=%.1f duplicates=%d calls_in_progress_at_kill=%d%n",
          recoverySeconds, duplicates, inProgressAtKill);
      assertThat(recoverySeconds).as("seconds until the killed worker's partitions had a new owner").isLessThan(10);
      assertThat(duplicates).as("replies sent twice").isLessThanOrEqualTo(cap);
    }
  }

  @Test
  void sigtermDrainsCommitsAndLeavesSoNothingIsReadTwice(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("worker.yaml");
    Files.writeString(config, kit.yaml("{commit-interval: 1s}", FAST_FAILOVER, WorkerTestKit.SIM_ROUTING));
    Path log = dir.resolve("worker.log");
    child = startWorkerMain(config, log);
    var responses = kit.probe(kit.topics.responses("svc"));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String id = "r-" + i;
      ids.add(id);
      kit.submitRaw(Priority.values()[i % 3], id.getBytes(StandardCharsets.UTF_8), kit.encode(request(id).build()));
    }
    kit.flush();
    responses.awaitKeys(ids, WAIT);

    child.destroy();

    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(kit.committed()).containsAllEntriesOf(kit.requestEndOffsets());
    assertThat(Files.readString(log)).contains("event=worker_stopped");
  }

  @Test
  void aBadConfigFileStopsWorkerMainWithAMessageNamingTheKeyAndValue(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("worker.yaml");
    Files.writeString(config, kit.yaml("{backlog-per-class: -5}", Map.of(), WorkerTestKit.SIM_ROUTING));
    Path log = dir.resolve("worker.log");

    child = startWorkerMain(config, log);

    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isEqualTo(2);
    assertThat(Files.readString(log)).contains("backlog-per-class must be >= 1: -5");
  }

  private static Process startWorkerMain(Path config, Path log) throws IOException {
    return startWorkerMain(config, log, Map.of());
  }

  private static Process startWorkerMain(Path config, Path log, Map<String, String> env) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.llmbroker.avro",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        WorkerMain.class.getName(), "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  private static Set<String> keys(List<ConsumerRecord<String, LlmResponse>> records) {
    Set<String> keys = new HashSet<>();
    records.forEach(r -> keys.add(r.key()));
    return keys;
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
