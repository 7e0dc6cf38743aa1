package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.await;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.testsupport.FakeProviderServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A worker joining a busy one: what moves, what is called, and the cap, on the real broker and real HTTP. */
class RebalanceTest {

  /** One slot per request partition (3 topics x 3), so that both workers own a share. */
  private static final int CAP = 9;
  private static final int REQUESTS = 90;
  private static final Pattern ID = Pattern.compile("Say hello to (r-\\d+)");

  private final WorkerTestKit kit = new WorkerTestKit(3);
  private final FakeProviderServer provider = FakeProviderServer.start().latency(Duration.ofMillis(1000));

  @AfterEach
  void close() {
    kit.close();
    provider.close();
  }

  @Test
  void aRevokeHandsBackQueuedRequestsWithoutACallAndTheCapHoldsWhileAWorkerJoins() {
    // A drain timeout far shorter than the backlog of the revoked partitions: before the fix,
    // their queued requests took slots during the drain and were then abandoned mid-call.
    String intake = "{drain-timeout: 4s}";
    String routing = WorkerTestKit.fakeRouting(provider, CAP);
    kit.start(kit.config(intake, Map.of(), routing), WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("svc"));
    await("the first worker owning all nine request partitions", WAIT, () -> kit.stableGroup(1, 9));
    List<String> ids = kit.submitAcrossClasses(REQUESTS);
    await("the first worker using its whole cap", WAIT, () -> provider.inFlight() == CAP);

    kit.start(kit.config(intake, Map.of(), routing), WorkerTestKit.FAKE_ENV);

    Map<String, LlmResponse> answered = responses.awaitKeys(ids, WAIT);
    assertThat(ids).allSatisfy(id -> assertThat(answered.get(id).getStatus()).isEqualTo(ResponseStatus.OK));
    assertThat(kit.stableGroup(2, 9)).as("both workers own request partitions").isTrue();
    assertThat(provider.maxConcurrency()).as("most calls the provider saw at once").isLessThanOrEqualTo(CAP);
    Map<String, Long> callsPerId = provider.received().stream()
        .map(r -> ID.matcher(r.body())).filter(Matcher::find).map(m -> m.group(1))
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(callsPerId).as("provider calls per request id").hasSize(REQUESTS).allSatisfy((id, calls) ->
        assertThat(calls).as(id).isEqualTo(1L));
  }
}
