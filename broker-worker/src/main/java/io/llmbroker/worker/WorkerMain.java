package io.llmbroker.worker;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one worker until SIGTERM: {@code WorkerMain [--config FILE]}. Without {@code --config}
 * the bundled default config is used. SIGTERM (or Ctrl-C) drains gracefully before the JVM
 * exits. Exit status 2 means the config was refused; the message names the key and value.
 */
public final class WorkerMain {

  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
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
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      worker.close();
      closed.countDown();
    }, "worker-shutdown"));
    closed.await();
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
