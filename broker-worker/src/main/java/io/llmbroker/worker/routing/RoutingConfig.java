package io.llmbroker.worker.routing;

import io.llmbroker.worker.pricing.PriceTable;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code routing:} section of the worker's YAML: providers, deployments (one lane each),
 * aliases (ordered fallback lists), retry and cool-down policy, per-class minimum shares and the
 * price table. Bound by {@code io.llmbroker.runtime.config.ConfigFile}; every record validates
 * itself and every message names the bad value, so a bad file fails at start.
 *
 * <pre>
 * routing:
 *   min-share: {interactive: 0.0, standard: 0.1, batch: 0.1}
 *   retry: {max-attempts: 3, initial-backoff: 200ms, max-backoff: 10s, attempt-timeout: 60s}
 *   cooldown: {after-failures: 5, duration: 30s}
 *   providers:
 *     sim: {type: simulated, latency: {min: 20ms, max: 200ms}, output-tokens: {min: 20, max: 200}}
 *     openai: {type: openai, base-url: https://api.openai.com/v1, api-key-env: OPENAI_API_KEY}
 *   deployments:
 *     sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 64, rpm: 6000, tpm: 2000000}
 *   aliases:
 *     fast: [sim-fast]
 *   allow-implicit: [openai/gpt-4o-mini]
 *   prices:
 *     sim-fast-1: {input: "0.15", output: "0.60", cached-input: "0.075"}
 * </pre>
 *
 * <p>A model string is resolved as an alias first, then as a deployment name, then as
 * {@code provider/model} of a configured provider, which only {@code allow-implicit} admits:
 * exact {@code provider/model} entries, or {@code provider/*} for every model of a provider.
 * An allowed {@code provider/model} that a deployment serves uses that deployment (and its
 * cap); any other routes to an implicit deployment that takes its limits from the provider's
 * {@code max-concurrency}, {@code rpm}, {@code tpm}. Immutable and thread-safe.
 */
public record RoutingConfig(
    MinShare minShare,
    Retry retry,
    Cooldown cooldown,
    Map<String, Provider> providers,
    Map<String, Deployment> deployments,
    Map<String, List<String>> aliases,
    List<String> allowImplicit,
    Map<String, Price> prices) {

  public RoutingConfig {
    minShare = minShare == null ? new MinShare(null, null, null) : minShare;
    retry = retry == null ? new Retry(null, null, null, null) : retry;
    cooldown = cooldown == null ? new Cooldown(null, null) : cooldown;
    providers = providers == null ? Map.of() : copy(providers);
    deployments = deployments == null ? Map.of() : copy(deployments);
    aliases = aliases == null ? Map.of() : copy(aliases);
    prices = prices == null ? Map.of() : copy(prices);
    for (var d : deployments.entrySet()) {
      Objects.requireNonNull(d.getValue(), () -> "deployment '" + d.getKey() + "' is empty");
      if (!providers.containsKey(d.getValue().provider())) {
        throw new IllegalArgumentException("deployment '" + d.getKey() + "' names unknown provider '"
            + d.getValue().provider() + "' (known: " + providers.keySet() + ")");
      }
    }
    for (var a : aliases.entrySet()) {
      if (a.getValue() == null || a.getValue().isEmpty()) {
        throw new IllegalArgumentException("alias '" + a.getKey() + "' must list at least one deployment");
      }
      for (String name : a.getValue()) {
        if (!deployments.containsKey(name)) {
          throw new IllegalArgumentException("alias '" + a.getKey() + "' names unknown deployment '"
              + name + "' (known: " + deployments.keySet() + ")");
        }
      }
      a.setValue(List.copyOf(a.getValue()));
    }
    aliases = Map.copyOf(aliases);
    allowImplicit = allowImplicit == null ? List.of() : List.copyOf(allowImplicit);
    for (String route : allowImplicit) {
      int slash = route.indexOf('/');
      if (slash <= 0 || slash == route.length() - 1) {
        throw new IllegalArgumentException("allow-implicit entries must be provider/model or provider/*: '" + route + "'");
      }
      if (!providers.containsKey(route.substring(0, slash))) {
        throw new IllegalArgumentException("allow-implicit entry '" + route + "' names unknown provider '"
            + route.substring(0, slash) + "' (known: " + providers.keySet() + ")");
      }
    }
  }

  /** Whether {@code allow-implicit} admits the {@code provider/model} string {@code model}. */
  public boolean implicitAllowed(String model) {
    int slash = model.indexOf('/');
    return allowImplicit.contains(model)
        || (slash > 0 && allowImplicit.contains(model.substring(0, slash + 1) + "*"));
  }

  /** A config with no providers: routes nothing. */
  public static RoutingConfig empty() {
    return new RoutingConfig(null, null, null, null, null, null, null, null);
  }

  private static <V> Map<String, V> copy(Map<String, V> map) {
    return new LinkedHashMap<>(map);
  }

  /**
   * The guaranteed fraction of each lane's admissions per class while that class has work
   * waiting; the rest goes by strict priority. Sum at most 1.
   */
  public record MinShare(Double interactive, Double standard, Double batch) {
    public MinShare {
      interactive = fraction("interactive", interactive, 0.0);
      standard = fraction("standard", standard, 0.1);
      batch = fraction("batch", batch, 0.1);
      if (interactive + standard + batch > 1.0 + 1e-9) {
        throw new IllegalArgumentException("min-share values must sum to at most 1: "
            + (interactive + standard + batch));
      }
    }
  }

  /**
   * Retries on one deployment before falling back to the next.
   *
   * @param maxAttempts attempts per deployment, the first included
   * @param attemptTimeout the longest one provider call may take
   */
  public record Retry(Integer maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration attemptTimeout) {
    public Retry {
      maxAttempts = maxAttempts == null ? 3 : maxAttempts;
      initialBackoff = initialBackoff == null ? Duration.ofMillis(200) : initialBackoff;
      maxBackoff = maxBackoff == null ? Duration.ofSeconds(10) : maxBackoff;
      attemptTimeout = attemptTimeout == null ? Duration.ofSeconds(60) : attemptTimeout;
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("max-attempts must be >= 1: " + maxAttempts);
      }
      positive("initial-backoff", initialBackoff);
      positive("attempt-timeout", attemptTimeout);
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("max-backoff must be >= initial-backoff (" + initialBackoff + "): " + maxBackoff);
      }
    }
  }

  /** After {@code afterFailures} consecutive failures a deployment rests for {@code duration}, then one probe call decides. */
  public record Cooldown(Integer afterFailures, Duration duration) {
    public Cooldown {
      afterFailures = afterFailures == null ? 5 : afterFailures;
      duration = duration == null ? Duration.ofSeconds(30) : duration;
      if (afterFailures < 1) {
        throw new IllegalArgumentException("after-failures must be >= 1: " + afterFailures);
      }
      positive("duration", duration);
    }
  }

  /** The kinds of provider a worker can call. */
  public enum ProviderType {
    SIMULATED, OPENAI, ANTHROPIC, GEMINI;

    static ProviderType parse(String text) {
      if (text == null) {
        throw new IllegalArgumentException("type is required: one of simulated, openai, anthropic, gemini");
      }
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("type must be one of simulated, openai, anthropic, gemini: '" + text + "'");
      }
    }

    String defaultBaseUrl() {
      return switch (this) {
        case OPENAI -> "https://api.openai.com/v1";
        case ANTHROPIC -> "https://api.anthropic.com";
        case GEMINI -> "https://generativelanguage.googleapis.com";
        case SIMULATED -> null;
      };
    }
  }

  /**
   * One provider endpoint. {@code type: openai} covers every OpenAI-compatible vendor (Azure,
   * vLLM, Ollama, Groq, Mistral, ...) through {@code base-url}. {@code api-key-env} names the
   * environment variable that holds the key; the key itself never appears in config.
   * The simulated-only keys ({@code latency}, {@code output-tokens}, {@code error-rate},
   * {@code rate-limit-rate}, {@code retry-after}, {@code seed}) are rejected on other types.
   * {@code max-concurrency}, {@code rpm}, {@code tpm} are the limits of implicit
   * {@code provider/model} deployments.
   */
  public record Provider(
      String type,
      String baseUrl,
      String apiKeyEnv,
      DurationRange latency,
      IntRange outputTokens,
      Double errorRate,
      Double rateLimitRate,
      Duration retryAfter,
      Long seed,
      Integer maxConcurrency,
      Long rpm,
      Long tpm) {

    public Provider {
      ProviderType kind = ProviderType.parse(type);
      type = kind.name().toLowerCase(Locale.ROOT);
      if (kind == ProviderType.SIMULATED) {
        if (baseUrl != null || apiKeyEnv != null) {
          throw new IllegalArgumentException("a simulated provider takes no base-url or api-key-env: " + baseUrl);
        }
        latency = latency == null ? new DurationRange(Duration.ZERO, Duration.ZERO) : latency;
        outputTokens = outputTokens == null ? new IntRange(20, 200) : outputTokens;
        if (outputTokens.min() < 1) {
          throw new IllegalArgumentException("output-tokens min must be >= 1: " + outputTokens.min());
        }
        errorRate = fraction("error-rate", errorRate, 0.0);
        rateLimitRate = fraction("rate-limit-rate", rateLimitRate, 0.0);
        if (errorRate + rateLimitRate > 1.0) {
          throw new IllegalArgumentException("error-rate + rate-limit-rate must be <= 1: " + (errorRate + rateLimitRate));
        }
        retryAfter = retryAfter == null ? Duration.ofSeconds(1) : retryAfter;
        if (retryAfter.isNegative()) {
          throw new IllegalArgumentException("retry-after must not be negative: " + retryAfter);
        }
        seed = seed == null ? 0L : seed;
      } else {
        if (latency != null || outputTokens != null || errorRate != null || rateLimitRate != null
            || retryAfter != null || seed != null) {
          throw new IllegalArgumentException("latency, output-tokens, error-rate, rate-limit-rate, retry-after and seed"
              + " apply only to type simulated, not " + type);
        }
        baseUrl = baseUrl == null ? kind.defaultBaseUrl() : baseUrl.replaceAll("/+$", "");
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
          throw new IllegalArgumentException("base-url must be an http(s) URL: " + baseUrl);
        }
      }
      maxConcurrency = maxConcurrency == null ? 16 : maxConcurrency;
      checkLimits(maxConcurrency, rpm, tpm);
    }

    /** The parsed {@link #type()}. */
    public ProviderType kind() {
      return ProviderType.parse(type);
    }
  }

  /** A provider and model served through one lane with its own limits (global across workers). */
  public record Deployment(String provider, String model, Integer maxConcurrency, Long rpm, Long tpm) {
    public Deployment {
      if (provider == null || provider.isBlank()) {
        throw new IllegalArgumentException("provider is required: " + provider);
      }
      if (model == null || model.isBlank()) {
        throw new IllegalArgumentException("model is required: " + model);
      }
      maxConcurrency = maxConcurrency == null ? 16 : maxConcurrency;
      checkLimits(maxConcurrency, rpm, tpm);
    }
  }

  /** A uniform range of durations; {@code max} defaults to {@code min}. */
  public record DurationRange(Duration min, Duration max) {
    public DurationRange {
      min = min == null ? Duration.ZERO : min;
      max = max == null ? min : max;
      if (min.isNegative() || max.compareTo(min) < 0) {
        throw new IllegalArgumentException("need 0 <= min <= max: min " + min + ", max " + max);
      }
    }
  }

  /** A uniform range of counts; {@code max} defaults to {@code min}. */
  public record IntRange(Integer min, Integer max) {
    public IntRange {
      min = min == null ? 0 : min;
      max = max == null ? min : max;
      if (min < 0 || max < min) {
        throw new IllegalArgumentException("need 0 <= min <= max: min " + min + ", max " + max);
      }
    }
  }

  /** The configured prices in micro-dollars per million tokens, by model. */
  public Map<String, PriceTable.Price> priceList() {
    Map<String, PriceTable.Price> list = new java.util.HashMap<>();
    prices.forEach((model, p) -> list.put(model, PriceTable.Price.ofUsdPerMillion(p.input(), p.cachedInput(), p.output())));
    return list;
  }

  /**
   * USD per million tokens, as exact decimal strings ({@code "0.15"}). {@code cached-input}
   * defaults to {@code input}.
   */
  public record Price(String input, String output, String cachedInput) {
    public Price {
      usd("input", input);
      usd("output", output);
      cachedInput = cachedInput == null ? input : cachedInput;
      usd("cached-input", cachedInput);
    }

    private static void usd(String key, String value) {
      if (value == null) {
        throw new IllegalArgumentException(key + " price is required");
      }
      BigDecimal d;
      try {
        d = new BigDecimal(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + " must be a decimal USD amount per million tokens: '" + value + "'");
      }
      if (d.signum() < 0) {
        throw new IllegalArgumentException(key + " must not be negative: " + value);
      }
    }
  }

  private static double fraction(String key, Double value, double fallback) {
    double v = value == null ? fallback : value;
    if (!(v >= 0.0 && v <= 1.0)) {
      throw new IllegalArgumentException(key + " must be between 0 and 1: " + v);
    }
    return v;
  }

  private static void positive(String key, Duration d) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(key + " must be positive: " + d);
    }
  }

  private static void checkLimits(int maxConcurrency, Long rpm, Long tpm) {
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException("max-concurrency must be >= 1: " + maxConcurrency);
    }
    if (rpm != null && rpm < 1) {
      throw new IllegalArgumentException("rpm must be >= 1: " + rpm);
    }
    if (tpm != null && tpm < 1) {
      throw new IllegalArgumentException("tpm must be >= 1: " + tpm);
    }
  }
}
