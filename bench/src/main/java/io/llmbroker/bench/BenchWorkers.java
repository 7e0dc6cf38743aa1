package io.llmbroker.bench;

import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Worker configs for the benchmarks, written as the YAML an operator would write, with one
 * deployment named {@value #MODEL} served either by the simulated provider or by an
 * OpenAI-compatible endpoint. Immutable; each {@code with...} returns a copy.
 *
 * @param kafka extra Kafka client properties for the worker's {@code kafka:} section
 * @param provider the {@code providers.bench} entry, as YAML flow mapping text
 * @param maxConcurrency the deployment's cap
 * @param backlogPerClass {@code intake.backlog-per-class}; null for the product default
 * @param opsPort {@code ops.port}
 * @param requireSignature {@code intake.require-signature}
 */
record BenchWorkers(String bootstrapServers, String prefix, String workerId, Map<String, String> kafka, String provider,
    int maxConcurrency, Integer backlogPerClass, int opsPort, boolean requireSignature) {

  /** The alias, deployment and model every benchmark request names. */
  static final String MODEL = "bench";

  /** The variable a worker reads the fake provider's key from; the benchmarks' own value, not a real key. */
  private static final String FAKE_KEY_ENV = "LLM_BROKER_BENCH_FAKE_KEY";

  /** The environment a worker against {@link #fakeProvider} needs: the key variable it names. */
  static final Map<String, String> FAKE_PROVIDER_ENV = Map.of(FAKE_KEY_ENV, "bench-fake-provider-key");

  /** A worker config against a {@link FakeProviderServer}, over real HTTP through the OpenAI-compatible adapter. */
  static BenchWorkers fakeProvider(String bootstrapServers, String prefix, FakeProviderServer provider, int maxConcurrency) {
    return openAi(bootstrapServers, prefix, provider.openAiBaseUrl(), FAKE_KEY_ENV, maxConcurrency);
  }

  /** A worker config against the simulated provider with a fixed latency and 20 output tokens. */
  static BenchWorkers simulated(String bootstrapServers, String prefix, Duration latency, int maxConcurrency) {
    String millis = latency.toMillis() + "ms";
    return new BenchWorkers(bootstrapServers, prefix, "bench-worker-1", Map.of(),
        "{type: simulated, latency: {min: " + millis + ", max: " + millis + "}, output-tokens: {min: 20, max: 20}}",
        maxConcurrency, null, 0, false);
  }

  /** A worker config against an OpenAI-compatible endpoint whose key is in the variable {@code apiKeyEnv}. */
  static BenchWorkers openAi(String bootstrapServers, String prefix, String baseUrl, String apiKeyEnv, int maxConcurrency) {
    return new BenchWorkers(bootstrapServers, prefix, "bench-worker-1", Map.of(),
        "{type: openai, base-url: \"" + baseUrl + "\", api-key-env: " + apiKeyEnv + "}", maxConcurrency, null, 0, false);
  }

  BenchWorkers withWorkerId(String id) {
    return new BenchWorkers(bootstrapServers, prefix, id, kafka, provider,
        maxConcurrency, backlogPerClass, opsPort, requireSignature);
  }

  BenchWorkers withKafka(Map<String, String> properties) {
    Map<String, String> merged = new LinkedHashMap<>(kafka);
    merged.putAll(properties);
    return new BenchWorkers(bootstrapServers, prefix, workerId, merged, provider,
        maxConcurrency, backlogPerClass, opsPort, requireSignature);
  }

  BenchWorkers withBacklogPerClass(int records) {
    return new BenchWorkers(bootstrapServers, prefix, workerId, kafka, provider,
        maxConcurrency, records, opsPort, requireSignature);
  }

  /** This config with {@code /health} and {@code /metrics} on {@code port}; 0 (the default) picks a free one. */
  BenchWorkers withOpsPort(int port) {
    return new BenchWorkers(bootstrapServers, prefix, workerId, kafka, provider,
        maxConcurrency, backlogPerClass, port, requireSignature);
  }

  /** This config refusing requests not signed by a key of their app. */
  BenchWorkers withRequireSignature() {
    return new BenchWorkers(bootstrapServers, prefix, workerId, kafka, provider,
        maxConcurrency, backlogPerClass, opsPort, true);
  }

  String yaml() {
    StringBuilder y = new StringBuilder();
    y.append("worker: {id: ").append(workerId).append("}\n");
    y.append("kafka:\n  bootstrap.servers: \"").append(bootstrapServers).append("\"\n");
    kafka.forEach((k, v) -> y.append("  ").append(k).append(": \"").append(v).append("\"\n"));
    y.append("topics: {prefix: \"").append(prefix).append("\", partitions: 6, replication-factor: 1}\n");
    // Port 0 unless told: several workers of one run, and a run next to a running worker, must not collide.
    y.append("ops: {host: 127.0.0.1, port: ").append(opsPort).append("}\n");
    y.append("intake: {drain-timeout: 5s");
    if (backlogPerClass != null) {
      y.append(", backlog-per-class: ").append(backlogPerClass);
    }
    if (requireSignature) {
      y.append(", require-signature: true");
    }
    y.append("}\n");
    y.append("routing:\n");
    y.append("  providers:\n    bench: ").append(provider).append('\n');
    y.append("  deployments:\n    ").append(MODEL).append(": {provider: bench, model: ").append(MODEL)
        .append("-model, max-concurrency: ").append(maxConcurrency).append("}\n");
    y.append("  aliases:\n    ").append(MODEL).append(": [").append(MODEL).append("]\n");
    y.append("  prices:\n    ").append(MODEL).append("-model: {input: \"0.15\", output: \"0.60\"}\n");
    return y.toString();
  }

  /** Starts the worker in this JVM. */
  WorkerService start(Map<String, String> env) {
    return WorkerService.start(WorkerConfig.parse(yaml(), env), env);
  }
}
