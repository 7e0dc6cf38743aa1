package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.await;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.worker.routing.CallOutcome;
import io.llmbroker.worker.routing.CallRouter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OffsetCommitTest {

  private final WorkerTestKit kit = new WorkerTestKit(1);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void theCommittedOffsetStaysAtTheLowestIncompleteRequestWhileLaterOnesAreAnswered() {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    kit.start(kit.config(), router -> new HoldingRouter(router, "slow", gate));
    var responses = kit.probe(kit.topics.responses("svc"));
    List<String> fast = IntStream.range(1, 10).mapToObj(i -> "fast-" + i).toList();
    TopicPartition partition = new TopicPartition(kit.topics.requests(Priority.STANDARD).name(), 0);

    kit.submit(Priority.STANDARD, request("slow").build());
    fast.forEach(id -> kit.submit(Priority.STANDARD, request(id).build()));

    responses.awaitKeys(fast, WAIT);
    await("a commit at the held request", WAIT, () -> kit.committed().containsKey(partition));
    assertThat(kit.committed()).containsEntry(partition, 0L);
    assertThat(responses.records()).extracting(r -> r.key()).doesNotContain("slow");

    gate.complete(null);

    assertThat(responses.awaitKeys(List.of("slow"), WAIT).get("slow").getStatus()).isEqualTo(ResponseStatus.OK);
    await("the commit past every request", WAIT, () -> Long.valueOf(10).equals(kit.committed().get(partition)));
  }

  @Test
  void aGracefulCloseCommitsEverythingAndARestartedWorkerDoesNotReprocess() {
    WorkerService first = kit.start(kit.config());
    var responses = kit.probe(kit.topics.responses("svc"));
    List<String> ids = IntStream.range(0, 60).mapToObj(i -> "r-" + i).toList();
    for (int i = 0; i < ids.size(); i++) {
      kit.submit(Priority.values()[i % 3], request(ids.get(i)).build());
    }
    responses.awaitKeys(ids, WAIT);

    first.close();

    Map<TopicPartition, Long> ends = kit.requestEndOffsets();
    assertThat(kit.committed()).containsAllEntriesOf(ends);

    WorkerService second = kit.start(kit.config());
    kit.submit(Priority.INTERACTIVE, request("after-restart").build());
    responses.awaitKeys(List.of("after-restart"), WAIT);
    Map<TopicPartition, Long> newEnds = kit.requestEndOffsets();
    await("the restarted worker's commit", WAIT, () -> kit.committed().entrySet().containsAll(newEnds.entrySet()));

    assertThat(second.metrics().answeredCount(ResponseStatus.OK)).isEqualTo(1.0);
    assertThat(responses.records()).hasSize(ids.size() + 1);
  }

  @Test
  void aShutdownWaitsForRepliesBeingAcknowledgedAndHandsNoneBack() {
    WorkerService worker = kit.start(kit.config("{drain-timeout: 20s}", Map.of(), WorkerTestKit.SIM_ROUTING));
    var audit = kit.probe(kit.topics.audit());
    // Each reply goes to a topic of its own, which the worker creates first: outputs that take
    // long to be acknowledged after the provider call ended.
    List<String> ids = IntStream.range(0, 12).mapToObj(i -> "own-topic-" + i).toList();
    ids.forEach(id -> kit.submit(Priority.STANDARD, request(id).setReplyTo("svc-" + id).build()));
    await("every provider call done", WAIT, () -> worker.metrics().inFlight().get() == 0
        && worker.metrics().answeredCount(ResponseStatus.OK) == ids.size());

    worker.close();

    assertThat(kit.committed()).containsAllEntriesOf(kit.requestEndOffsets());
    assertThat(audit.awaitKeys(ids, WAIT)).hasSize(ids.size());
  }

  /** The real router, except that one request waits for a gate before it is routed. */
  private record HoldingRouter(CallRouter real, String heldId, CompletableFuture<Void> gate) implements CallRouter {

    @Override
    public Optional<String> routeProblem(String model) {
      return real.routeProblem(model);
    }

    @Override
    public CompletableFuture<CallOutcome> call(LlmRequest request, Priority priority, long deadlineMillis) {
      if (request.getId().equals(heldId)) {
        return gate.thenCompose(open -> real.call(request, priority, deadlineMillis));
      }
      return real.call(request, priority, deadlineMillis);
    }

    @Override
    public void assign(Set<Integer> partitionIndices, int totalPartitions) {
      real.assign(partitionIndices, totalPartitions);
    }

    /** While held, the request counts as a call in progress, as a slow provider call would: it stays. */
    @Override
    public boolean withdraw(CompletableFuture<CallOutcome> call) {
      return gate.isDone() && real.withdraw(call);
    }

    @Override
    public boolean withinShares() {
      return gate.isDone() && real.withinShares();
    }

    @Override
    public void close() {
      gate.complete(null);
      real.close();
    }
  }
}
