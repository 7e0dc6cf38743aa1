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
import io.llmbroker.testsupport.KafkaFixture;
import java.util.ArrayList;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.HashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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

  private final List<KafkaConsumer<byte[], byte[]>> members = new ArrayList<>();
  private final AtomicBoolean polling = new AtomicBoolean(true);
  private Thread poller;

  @AfterEach
  void close() throws InterruptedException {
    polling.set(false);
    if (poller != null) {
      poller.join(10_000);
    }
    kit.close();
    members.forEach(m -> m.close(Duration.ofSeconds(2)));
    provider.close();
  }

  @Test
  void aGracefulCloseWhileARebalanceIsUnderWayCommitsWhatItAnswered() throws Exception {
    WorkerService worker = kit.start(kit.config("{drain-timeout: 10s}", Map.of(), WorkerTestKit.fakeRouting(provider, CAP)),
        WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("svc"));
    await("the worker owning all nine request partitions", WAIT, () -> kit.stableGroup(1, 9));
    // A member that takes partitions and then stops polling: the next rebalance waits for it
    // until its poll interval runs out, so the worker is inside that rebalance when it closes.
    KafkaConsumer<byte[], byte[]> stalled = member(Duration.ofSeconds(12));
    members.add(stalled);
    long until = System.nanoTime() + WAIT.toNanos();
    while (stalled.assignment().isEmpty() && System.nanoTime() < until) {
      stalled.poll(Duration.ofMillis(100));
    }
    assertThat(stalled.assignment()).as("partitions of the member that stalls").isNotEmpty();
    kit.submitAcrossClasses(2 * REQUESTS);
    await("the worker calling the provider", WAIT, () -> provider.inFlight() > 0);
    poller = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> joining = member(Duration.ofSeconds(60))) {
        while (polling.get()) {
          joining.poll(Duration.ofMillis(100));
        }
      }
    }, "joining-member");
    poller.start();
    await("a rebalance under way", WAIT, () -> groupState() == GroupState.PREPARING_REBALANCE);
    // The group refuses the worker's next commit once the rebalance began; the worker then joins
    // it at its next poll.
    await("the worker told of the rebalance", WAIT, () -> worker.metrics().commitFailureCount() > 0);

    worker.close();

    long published = endOffsets(kit.topics.responses("svc").name());
    long answered = responses.awaitCount((int) published, WAIT).stream().map(r -> r.key()).distinct().count();
    long committed = kit.committed().values().stream().mapToLong(Long::longValue).sum();
    assertThat(answered).as("requests the worker answered").isPositive();
    assertThat(committed).as("requests committed: the worker answered them, no next owner serves them again")
        .isEqualTo(answered);
  }

  /** A plain member of the workers' group; it answers nothing and commits nothing. */
  private KafkaConsumer<byte[], byte[]> member(Duration maxPollInterval) {
    Properties props = KafkaFixture.get().clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, kit.group());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) maxPollInterval.toMillis());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(kit.topics.requestTopics().stream().map(t -> t.name()).toList());
    return consumer;
  }

  private static long endOffsets(String topic) throws Exception {
    try (Admin admin = KafkaFixture.get().admin()) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      return admin.listOffsets(latest).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }
  }

  private GroupState groupState() {
    try (Admin admin = KafkaFixture.get().admin()) {
      return admin.describeConsumerGroups(List.of(kit.group())).all().get().get(kit.group()).groupState();
    } catch (Exception e) {
      return GroupState.UNKNOWN;
    }
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
