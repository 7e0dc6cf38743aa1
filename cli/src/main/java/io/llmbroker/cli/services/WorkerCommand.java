package io.llmbroker.cli.services;

import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Runs a broker worker until SIGTERM; several in one group share the load and the caps.")
public final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--config", description = "Worker YAML; the bundled default (simulated providers) when absent.")
  Path config;

  @Override
  public Integer call() {
    var env = System.getenv();
    WorkerConfig cfg = config == null ? WorkerConfig.parse(WorkerConfig.bundledYaml(), env) : WorkerConfig.load(config, env);
    WorkerService service = WorkerService.start(cfg, env);
    System.out.println("worker " + cfg.worker().id() + " running; health and metrics on port " + service.opsPort());
    return ServiceRunner.runUntilShutdown("worker", service);
  }
}
