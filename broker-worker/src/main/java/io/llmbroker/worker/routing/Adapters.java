package io.llmbroker.worker.routing;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.worker.providers.ProviderAdapter;
import io.llmbroker.worker.providers.anthropic.AnthropicAdapter;
import io.llmbroker.worker.providers.gemini.GeminiAdapter;
import io.llmbroker.worker.providers.openai.OpenAiCompatibleAdapter;
import io.llmbroker.worker.providers.simulated.SimulatedProvider;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** Builds the adapter for one configured provider, reading its key from the environment. Stateless. */
final class Adapters {

  private Adapters() {}

  /** @throws ConfigException when the provider's key variable is required but not set */
  static ProviderAdapter create(String name, RoutingConfig.Provider p, Map<String, String> env, HttpClient http,
      ScheduledExecutorService scheduler, Clock clock) {
    return switch (p.kind()) {
      case SIMULATED -> new SimulatedProvider(name, new SimulatedProvider.Settings(
          p.latency().min(), p.latency().max(), p.outputTokens().min(), p.outputTokens().max(),
          p.errorRate(), p.rateLimitRate(), p.retryAfter(), p.seed()), scheduler);
      case OPENAI -> new OpenAiCompatibleAdapter(name, p.baseUrl(), key(name, p, env, false), http, clock);
      case ANTHROPIC -> new AnthropicAdapter(name, p.baseUrl(), key(name, p, env, true), http, clock);
      case GEMINI -> new GeminiAdapter(name, p.baseUrl(), key(name, p, env, true), http, clock);
    };
  }

  private static String key(String name, RoutingConfig.Provider p, Map<String, String> env, boolean required) {
    String configKey = "routing.providers." + name + ".api-key-env";
    if (p.apiKeyEnv() == null) {
      if (required) {
        throw ConfigException.forKey(configKey, "a " + p.type() + " provider needs the name of its key variable");
      }
      return null;
    }
    String value = env.get(p.apiKeyEnv());
    if (value == null || value.isBlank()) {
      throw ConfigException.forKey(configKey, "environment variable " + p.apiKeyEnv() + " is not set");
    }
    return value.trim();
  }
}
