package io.llmbroker.costs;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.costs.config.CostAggregatorConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code cost-aggregator [--config FILE]}: runs the cost aggregator until SIGTERM or Ctrl-C, then
 * closes it gracefully. Without {@code --config}, the bundled defaults are used.
 */
public final class CostAggregatorMain {

  private CostAggregatorMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 0 && !(args.length == 2 && args[0].equals("--config"))) {
      System.err.println("usage: cost-aggregator [--config FILE]");
      System.exit(2);
    }
    Map<String, String> env = System.getenv();
    CostAggregatorConfig config;
    try {
      config = args.length == 2
          ? CostAggregatorConfig.load(Path.of(args[1]), env)
          : CostAggregatorConfig.parse(CostAggregatorConfig.bundledYaml(), env);
    } catch (ConfigException e) {
      System.err.println("cost-aggregator: " + e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CostAggregatorService service = CostAggregatorService.start(config, env);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "cost-aggregator-shutdown"));
    stopped.await();
  }
}
