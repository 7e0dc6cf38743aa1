package io.llmbroker.cli.local;

import io.llmbroker.runtime.local.LocalKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "local", mixinStandardHelpOptions = true,
    description = {"Runs everything on this machine until Ctrl-C: a real Kafka broker (child JVM, reused when",
        "already running), the worker, the cost aggregator and the audit archiver."})
public final class LocalCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = ".llm-broker", description = "Kafka data, Streams state, audit archive (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--kafka-port", defaultValue = "9092", description = "Broker port (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(names = "--controller-port", defaultValue = "9093", description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(names = "--ops-port", defaultValue = "8081",
      description = "Worker health/metrics port; the cost API, the archiver and the OpenAI gateway take the next three (default: ${DEFAULT-VALUE}).")
  int opsPort;

  @Option(names = "--worker-config", description = "Worker YAML instead of the bundled default.")
  Optional<Path> workerConfig;

  @Override
  public Integer call() throws Exception {
    String workerYaml = workerConfig.isPresent() ? java.nio.file.Files.readString(workerConfig.get()) : null;
    LocalStack stack = LocalStack.start(new LocalStack.Options(dataDir, dataDir, kafkaPort, controllerPort, "", workerYaml, opsPort, false));
    stack.awaitReady(Duration.ofMinutes(2));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nStopping...");
      stack.close();
      stopped.countDown();
    }, "local-shutdown"));
    System.out.printf("""
        llm-broker is running.
          Kafka             %s%s (log: %s)
          worker            http://localhost:%d/metrics  /health/ready
          cost query API    http://localhost:%d/api/costs?granularity=hour&group-by=team
          audit archive     %s
          OpenAI gateway    http://localhost:%d/v1  (keys: llm-broker keys create --app APP)
        Ctrl-C stops it.%n""",
        stack.bootstrapServers(), stack.kafka().map(k -> k.owned() ? "" : " (reused)").orElse(""),
        stack.kafka().map(LocalKafka::logFile).orElse(null),
        stack.worker().opsPort(), stack.costs().port(), stack.audit().archiveDir().toAbsolutePath(),
        stack.gateway().port());
    stopped.await();
    return 0;
  }
}
