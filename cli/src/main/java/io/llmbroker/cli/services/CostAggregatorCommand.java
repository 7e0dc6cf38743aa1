package io.llmbroker.cli.services;

import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "cost-aggregator", mixinStandardHelpOptions = true,
    description = "Runs the cost aggregator (Kafka Streams) and its query API until SIGTERM.")
public final class CostAggregatorCommand implements Callable<Integer> {

  @Option(names = "--config", description = "Cost aggregator YAML; the bundled default when absent.")
  Path config;

  @Override
  public Integer call() {
    var env = System.getenv();
    CostAggregatorConfig cfg = config == null
        ? CostAggregatorConfig.parse(CostAggregatorConfig.bundledYaml(), env) : CostAggregatorConfig.load(config, env);
    CostAggregatorService service = CostAggregatorService.start(cfg, env);
    System.out.println("cost aggregator running; query API, health and metrics on port " + service.port());
    return ServiceRunner.runUntilShutdown("cost-aggregator", service);
  }
}
