package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.await;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.testsupport.FakeProviderServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

  /** At least one slot per request partition (3 topics x 3), so that every worker owns a share. */
  private static final int CAP = 12;
  private static final int REQUESTS = 150;

  private final WorkerTestKit kit = new WorkerTestKit(3);
  private final FakeProviderServer provider = FakeProviderServer.start().latency(Duration.ofMillis(150));

  @AfterEach
  void close() {
    kit.close();
    provider.close();
  }

  @Test
  void threeWorkersTogetherNeverExceedTheProvidersCapAndUseAllOfIt() {
    String routing = WorkerTestKit.fakeRouting(provider, CAP);
    for (int i = 0; i < 3; i++) {
      kit.start(kit.config("", Map.of(), routing), WorkerTestKit.FAKE_ENV);
    }
    var responses = kit.probe(kit.topics.responses("svc"));
    await("three workers sharing all nine request partitions", WAIT, () -> kit.stableGroup(3, 9));
    provider.resetStats();
    List<String> ids = new ArrayList<>();

    for (int i = 0; i < REQUESTS; i++) {
      String id = "r-" + i;
      ids.add(id);
      kit.submitRaw(Priority.values()[i % 3], id.getBytes(StandardCharsets.UTF_8), kit.encode(request(id).build()));
    }
    kit.flush();

    Map<String, LlmResponse> answered = responses.awaitKeys(ids, WAIT);
    assertThat(ids).allSatisfy(id -> assertThat(answered.get(id).getStatus()).isEqualTo(ResponseStatus.OK));
    assertThat(provider.maxConcurrency()).as("most calls the provider saw at once").isEqualTo(CAP);
  }
}
