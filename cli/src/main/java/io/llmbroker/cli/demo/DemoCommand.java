package io.llmbroker.cli.demo;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.cli.local.LocalStack;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job: starts everything on an embedded broker, runs a batch backlog with a trickle
 * of interactive and standard traffic from several teams through it, and reports what
 * happened. Each run uses its own topic prefix, so the report covers this run alone even on
 * a reused broker; the run's topics are deleted at the end, its archive is kept.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Starts a real Kafka broker, the worker, the cost aggregator and the audit archiver,",
        "sends a batch backlog plus interactive traffic from several teams, and reports statuses,",
        "latency per priority, cost per team (from the aggregator) and the audit archive. Exits 0."})
public final class DemoCommand implements Callable<Integer> {

  static final List<String> TEAMS = List.of("search", "support", "growth", "finance");

  @Option(names = "--data-dir", defaultValue = ".llm-broker", description = "Kafka data and run state (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--kafka-port", defaultValue = "9092", description = "Broker port (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(names = "--controller-port", defaultValue = "9093", description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(names = "--batch", defaultValue = "400", description = "Batch prompts to enqueue (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--interactive-rate", defaultValue = "5", description = "Interactive requests per second while the batch runs (default: ${DEFAULT-VALUE}).")
  int interactiveRate;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || interactiveRate < 1 || interactiveRate > 1000) {
      throw new IllegalArgumentException("--batch must be >= 1 and --interactive-rate between 1 and 1000: "
          + batch + ", " + interactiveRate);
    }
    // The report is the demo's output; Kafka's own retries and rebalances would drown it.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka",
        System.getProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error"));
    PrintStream out = System.out;
    String runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    String prefix = "demo-" + runId + ".";
    out.println("llm-broker demo, run " + runId);
    out.println("Starting a Kafka broker (child JVM), the worker, the cost aggregator, the audit archiver and the gateway...");
    LocalStack.Options options = new LocalStack.Options(dataDir, dataDir.resolve("runs").resolve(runId),
        kafkaPort, controllerPort, prefix, demoWorkerYaml(), 0, true);
    try (LocalStack stack = LocalStack.start(options)) {
      stack.awaitReady(Duration.ofMinutes(2));
      out.printf("  Kafka at %s%s%n", stack.bootstrapServers(),
          stack.kafka().map(k -> k.owned() ? "" : " (already running, reused)").orElse(""));
      ClientConfig config = ClientConfig.of(stack.bootstrapServers(), "demo")
          .withTopicPrefix(prefix)
          .withDefaultTimeout(Duration.ofMinutes(3));
      DemoRun run;
      DemoBudget.set(stack.bootstrapServers(), prefix);
      try (LlmBrokerClient client = LlmBrokerClient.create(config)) {
        client.ready().get();
        run = new DemoTraffic(client, batch, interactiveRate, TEAMS).run(out);
      }
      new DemoReport(out, stack, run).print();
      return run.unanswered() == 0 ? 0 : 1;
    }
  }

  /** The demo's worker config: simulated providers with small caps, so that a backlog forms and priority shows. */
  static String demoWorkerYaml() throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream("/io/llmbroker/cli/demo-worker.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** What the traffic produced: every response with the priority it was sent at and its client-side latency. */
  record DemoRun(List<Sent> sent, int unanswered, Duration elapsed) {}

  record Sent(Priority priority, String team, LlmResponse response, long latencyMillis) {}
}
