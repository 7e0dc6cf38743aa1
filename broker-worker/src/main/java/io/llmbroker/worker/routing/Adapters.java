package io.llmbroker.worker.routing;

import io.llmbroker.common.config.ConfigException;
import io.llmbroker.worker.providers.ProviderAdapter;
import io.llmbroker.worker.providers.simulated.SimulatedProvider;
import java.net.http.HttpClient;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** Builds the adapter for one configured provider. Stateless. */
final class Adapters {

  private Adapters() {}

  static ProviderAdapter create(String name, RoutingConfig.Provider p, Map<String, String> env, HttpClient http,
      ScheduledExecutorService scheduler) {
    return switch (p.kind()) {
      case SIMULATED -> new SimulatedProvider(name, new SimulatedProvider.Settings(
          p.latency().min(), p.latency().max(), p.outputTokens().min(), p.outputTokens().max(),
          p.errorRate(), p.rateLimitRate(), p.retryAfter(), p.seed()), scheduler);
      default -> throw ConfigException.forKey("routing.providers." + name + ".type",
          "provider type not available yet: " + p.type());
    };
  }
}
