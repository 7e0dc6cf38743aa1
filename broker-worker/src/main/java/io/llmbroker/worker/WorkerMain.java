package io.llmbroker.worker;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs one worker until SIGTERM: {@code WorkerMain [--config FILE]}. Without {@code --config}
 * the bundled default config is used. SIGTERM (or Ctrl-C) drains gracefully before the JVM
 * exits. Exit status 2 means the config was refused; the message names the key and value.
 * Exit status 1 means the consumer died of an error no retry cures (authorization, a fenced
 * {@code group.instance.id}, ...): the log's {@code event=intake_fatal} line names it.
 */
public final class WorkerMain {

  private WorkerMain() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    WorkerConfig config;
    try {
      config = load(args, env);
    } catch (IllegalArgumentException | ConfigException e) {
      System.err.println("llm-broker worker: " + e.getMessage());
      System.exit(2);
      return;
    }
    WorkerService worker = WorkerService.start(config, env);
    Runtime.getRuntime().addShutdownHook(new Thread(worker::close, "worker-shutdown"));
    Throwable failure = worker.terminated().toCompletableFuture().join();
    if (failure != null) {
      System.err.println("llm-broker worker: stopping after a Kafka error that a retry does not cure: " + failure);
      System.exit(1);
    }
  }

  private static WorkerConfig load(String[] args, Map<String, String> env) {
    if (args.length == 0) {
      return WorkerConfig.parse(WorkerConfig.bundledYaml(), env);
    }
    if (args.length == 2 && "--config".equals(args[0])) {
      return WorkerConfig.load(Path.of(args[1]), env);
    }
    throw new IllegalArgumentException("usage: WorkerMain [--config FILE]");
  }
}
