package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PriorityUnderLoadTest {

  private static final int BACKLOG = 20;
  private static final int MAX_POLL = 10;
  private static final int BATCH = 300;
  private static final String SLOW_ROUTING = """
      routing:
        providers:
          sim: {type: simulated, latency: {min: 50ms, max: 50ms}, output-tokens: {min: 5, max: 5}}
        deployments:
          sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 2}
        aliases:
          fast: [sim-fast]
      """;

  private final WorkerTestKit kit = new WorkerTestKit(3);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void aBatchBacklogPausesOnlyBatchPartitionsAndAnInteractiveRequestOvertakesIt() {
    WorkerService worker = kit.start(kit.config(
        "{backlog-per-class: " + BACKLOG + ", drain-timeout: 1s, commit-interval: 200ms}",
        Map.of("max.poll.records", String.valueOf(MAX_POLL)), SLOW_ROUTING));
    var responses = kit.probe(kit.topics.responses("svc"));
    for (int i = 0; i < BATCH; i++) {
      String id = "batch-" + i;
      kit.submitRaw(Priority.BATCH, id.getBytes(StandardCharsets.UTF_8), kit.encode(request(id).build()));
    }
    kit.flush();
    int maxBatchBacklog = awaitBatchBacklogFull(worker);

    kit.submit(Priority.INTERACTIVE, request("urgent").build());

    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, LlmResponse> answered;
    do {
      maxBatchBacklog = Math.max(maxBatchBacklog, worker.metrics().backlog(Priority.BATCH).get());
      answered = new HashMap<>();
      for (var record : responses.records()) {
        answered.put(record.key(), record.value());
      }
      if (System.nanoTime() > deadline) {
        fail("the interactive request was not answered within " + WAIT);
      }
    } while (!answered.containsKey("urgent"));
    long batchAnswered = answered.keySet().stream().filter(id -> id.startsWith("batch-")).count();
    assertThat(answered.get("urgent").getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(batchAnswered).as("batch requests answered before the interactive one").isLessThan(BATCH / 2);
    assertThat(maxBatchBacklog).as("batch records held in memory").isLessThanOrEqualTo(BACKLOG + MAX_POLL);
  }

  @Test
  void theBacklogStaysBoundedOnBothWorkersAcrossTheRebalanceASecondWorkerCauses() {
    String intake = "{backlog-per-class: " + BACKLOG + ", drain-timeout: 5s, commit-interval: 200ms}";
    Map<String, String> kafka = Map.of("max.poll.records", String.valueOf(MAX_POLL));
    String routing = SLOW_ROUTING.replace("max-concurrency: 2", "max-concurrency: 4");
    WorkerService first = kit.start(kit.config(intake, kafka, routing));
    var responses = kit.probe(kit.topics.responses("svc"));
    List<String> ids = submitToEveryClass(0, BATCH);
    Map<Priority, Integer> maxFirst = new EnumMap<>(Priority.class);
    Map<Priority, Integer> maxSecond = new EnumMap<>(Priority.class);
    WorkerTestKit.await("a full backlog on the first worker", WAIT, () -> {
      sample(first, maxFirst);
      return maxFirst.values().stream().anyMatch(n -> n >= BACKLOG);
    });

    WorkerService second = kit.start(kit.config(intake, kafka, routing));
    WorkerTestKit.await("both workers sharing the request partitions", WAIT, () -> {
      sample(first, maxFirst);
      sample(second, maxSecond);
      return kit.stableGroup(2, 9);
    });
    ids.addAll(submitToEveryClass(BATCH, BATCH));

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (responses.records().stream().map(r -> r.key()).distinct().count() < ids.size()) {
      sample(first, maxFirst);
      sample(second, maxSecond);
      if (System.nanoTime() > deadline) {
        fail("not every request was answered within " + WAIT);
      }
      WorkerTestKit.pause();
    }
    assertThat(second.metrics().answeredCount(ResponseStatus.OK)).as("answered by the second worker").isPositive();
    assertThat(maxFirst.values()).as("records per class held by the first worker")
        .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(BACKLOG + MAX_POLL));
    assertThat(maxSecond.values()).as("records per class held by the second worker")
        .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(BACKLOG + MAX_POLL));
  }

  private List<String> submitToEveryClass(int from, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      String id = "r-" + i;
      ids.add(id);
      kit.submitRaw(Priority.values()[i % 3], id.getBytes(StandardCharsets.UTF_8), kit.encode(request(id).build()));
    }
    kit.flush();
    return ids;
  }

  private static void sample(WorkerService worker, Map<Priority, Integer> max) {
    for (Priority priority : Priority.values()) {
      max.merge(priority, worker.metrics().backlog(priority).get(), Math::max);
    }
  }

  private static int awaitBatchBacklogFull(WorkerService worker) {
    int max = 0;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (max < BACKLOG) {
      max = Math.max(max, worker.metrics().backlog(Priority.BATCH).get());
      if (System.nanoTime() > deadline) {
        fail("the batch backlog never filled: " + max);
      }
      WorkerTestKit.pause();
    }
    return max;
  }
}
