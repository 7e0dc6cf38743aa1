package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.worker.config.WorkerConfig;
import io.llmbroker.worker.routing.RoutingConfig.ProviderType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchWorkersTest {

  @Test
  void aSimulatedBenchConfigIsAWorkerConfigWithOneCappedDeployment() {
    BenchWorkers bench = BenchWorkers.simulated("localhost:19092", "bench-x-1.", Duration.ofMillis(200), 16)
        .withKafka(Map.of("linger.ms", "0")).withBacklogPerClass(800).withWorkerId("bench-worker-2").withOpsPort(18081);

    WorkerConfig config = WorkerConfig.parse(bench.yaml(), Map.of());

    assertThat(config.worker().id()).isEqualTo("bench-worker-2");
    assertThat(config.kafka()).containsEntry("bootstrap.servers", "localhost:19092").containsEntry("linger.ms", "0");
    assertThat(config.topics().prefix()).isEqualTo("bench-x-1.");
    assertThat(config.ops().port()).isEqualTo(18081);
    assertThat(config.intake().backlogPerClass()).isEqualTo(800);
    assertThat(config.routing().aliases()).containsEntry(BenchWorkers.MODEL, List.of(BenchWorkers.MODEL));
    assertThat(config.routing().deployments().get(BenchWorkers.MODEL).maxConcurrency()).isEqualTo(16);
    assertThat(config.routing().providers().get("bench").latency().min()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void anOpenAiBenchConfigNamesTheKeyVariableNotTheKey() {
    BenchWorkers bench = BenchWorkers.openAi("localhost:19092", "bench-y-1.", "http://127.0.0.1:4321/v1", "BENCH_KEY", 16);

    WorkerConfig config = WorkerConfig.parse(bench.yaml(), Map.of());

    assertThat(config.routing().providers().get("bench").kind()).isEqualTo(ProviderType.OPENAI);
    assertThat(config.routing().providers().get("bench").baseUrl()).isEqualTo("http://127.0.0.1:4321/v1");
    assertThat(config.routing().providers().get("bench").apiKeyEnv()).isEqualTo("BENCH_KEY");
    assertThat(config.ops().port()).isZero();
  }
}
