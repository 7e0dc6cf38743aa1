package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.worker.config.WorkerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@code /health/live} and {@code /health/ready} say when Kafka goes wrong. */
class WorkerHealthTest {

  private final WorkerTestKit kit = new WorkerTestKit(3);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void aFencedInstanceStopsTheWorkerAndTurnsLivenessDown() throws Exception {
    Map<String, String> sameInstance = Map.of("group.instance.id", "worker-a");
    WorkerService first = kit.start(kit.config("", sameInstance, WorkerTestKit.SIM_ROUTING));
    await("the first worker ready", WAIT, first::ready);

    WorkerService second = kit.start(kit.config("", sameInstance, WorkerTestKit.SIM_ROUTING));

    // The broker fences whichever of the two it heard from last with a stale member id.
    Throwable failure = CompletableFuture.anyOf(first.terminated().toCompletableFuture(),
        second.terminated().toCompletableFuture()).get(60, TimeUnit.SECONDS) instanceof Throwable t ? t : null;
    WorkerService fenced = first.alive() ? second : first;
    assertThat(failure).isInstanceOf(FencedInstanceIdException.class);
    assertThat(fenced.alive()).isFalse();
    assertThat(status(fenced, "/health/live")).isEqualTo(503);
    assertThat(status(fenced, "/health/ready")).isEqualTo(503);
  }

  @Test
  void readinessTurnsDownWhileTheBrokerIsGoneAndLivenessStaysUp() throws Exception {
    KafkaClusterTestKit cluster = ownCluster();
    try {
      String yaml = kit.yaml("{broker-unreachable-after: 2s}", Map.of(), WorkerTestKit.SIM_ROUTING)
          .replace(kit.bootstrap, cluster.bootstrapServers());
      WorkerService worker = kit.start(WorkerConfig.parse(yaml, Map.of()));
      await("the worker ready", WAIT, () -> status(worker, "/health/ready") == 200);

      cluster.close();

      await("readiness down", Duration.ofSeconds(20), () -> status(worker, "/health/ready") == 503);
      assertThat(status(worker, "/health/live")).isEqualTo(200);
    } catch (Exception | AssertionError e) {
      closeQuietly(cluster);
      throw e;
    }
  }

  /** Closing twice fails, and a test that failed may not have closed it yet. */
  private static void closeQuietly(KafkaClusterTestKit cluster) {
    try {
      cluster.close();
    } catch (Exception e) {
      System.err.println("health test: cluster already closed: " + e);
    }
  }

  /** A broker of this test's own, which it can stop without disturbing the others. */
  private static KafkaClusterTestKit ownCluster() throws Exception {
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
            .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
            .setBaseDirectory(Files.createTempDirectory("llm-broker-health")).build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
        .setConfigProp("share.coordinator.state.topic.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setDeleteOnClose(true)
        .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return cluster;
  }

  private static int status(WorkerService worker, String path) {
    try {
      return HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.opsPort() + path)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
