package io.llmbroker.cli.services;

import io.llmbroker.gateway.GatewayService;
import io.llmbroker.gateway.config.GatewayConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Runs the OpenAI-compatible gateway (chat completions, models, virtual keys) until SIGTERM.")
public final class GatewayCommand implements Callable<Integer> {

  @Option(names = "--config", description = "Gateway YAML; the bundled default when absent.")
  Path config;

  @Override
  public Integer call() {
    var env = System.getenv();
    GatewayConfig cfg = config == null ? GatewayConfig.parse(GatewayConfig.bundledYaml(), env) : GatewayConfig.load(config, env);
    GatewayService service = GatewayService.start(cfg, Clock.systemUTC());
    System.out.println("gateway running; OpenAI API, health and metrics on port " + service.port());
    return ServiceRunner.runUntilShutdown("gateway", service);
  }
}
