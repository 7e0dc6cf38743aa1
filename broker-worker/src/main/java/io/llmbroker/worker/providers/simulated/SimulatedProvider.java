package io.llmbroker.worker.providers.simulated;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.worker.providers.ProviderAdapter;
import io.llmbroker.worker.providers.ProviderCall;
import io.llmbroker.worker.providers.ProviderException;
import io.llmbroker.worker.providers.ProviderReply;
import io.llmbroker.worker.providers.Prompts;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An in-process provider for demos, load tests and benchmarks: answers with an echo of the
 * prompt after a latency drawn uniformly from the configured range, with a drawn number of
 * output tokens, and fails at the configured rates (TRANSIENT, or RATE_LIMITED with a
 * Retry-After).
 *
 * <p>Every draw comes from the seed, the request id and the attempt number, so a run is
 * reproducible whatever the interleaving. Waiting is a scheduled task, never a blocked thread;
 * with zero latency the reply completes on the caller's thread. Thread-safe.
 */
public final class SimulatedProvider implements ProviderAdapter {

  /**
   * How the simulation behaves; rates are fractions of calls, {@code retryAfter} is what a
   * simulated 429 asks for.
   */
  public record Settings(Duration minLatency, Duration maxLatency, int minOutputTokens, int maxOutputTokens,
      double errorRate, double rateLimitRate, Duration retryAfter, long seed) {
    public Settings {
      if (minLatency.isNegative() || maxLatency.compareTo(minLatency) < 0) {
        throw new IllegalArgumentException("need 0 <= min <= max latency: " + minLatency + ", " + maxLatency);
      }
      if (minOutputTokens < 1 || maxOutputTokens < minOutputTokens) {
        throw new IllegalArgumentException("need 1 <= min <= max output tokens: " + minOutputTokens + ", " + maxOutputTokens);
      }
      if (errorRate < 0 || rateLimitRate < 0 || errorRate + rateLimitRate > 1) {
        throw new IllegalArgumentException("error and rate-limit rates must be fractions summing to <= 1: "
            + errorRate + ", " + rateLimitRate);
      }
    }
  }

  private final String name;
  private final Settings config;
  private final ScheduledExecutorService scheduler;

  public SimulatedProvider(String name, Settings settings, ScheduledExecutorService scheduler) {
    this.name = name;
    this.config = settings;
    this.scheduler = scheduler;
  }

  @Override
  public String provider() {
    return name;
  }

  @Override
  public CompletableFuture<ProviderReply> send(ProviderCall call) {
    SplittableRandom random = new SplittableRandom(seedFor(call));
    long latencyNanos = between(random, config.minLatency().toNanos(), config.maxLatency().toNanos());
    double roll = random.nextDouble();
    int outputTokens = (int) between(random, config.minOutputTokens(), config.maxOutputTokens());
    CompletableFuture<ProviderReply> reply = new CompletableFuture<>();
    Runnable answer = () -> {
      if (roll < config.errorRate()) {
        reply.completeExceptionally(new ProviderException(ErrorClass.TRANSIENT,
            "simulated server error", 503, "simulated_error", null));
      } else if (roll < config.errorRate() + config.rateLimitRate()) {
        reply.completeExceptionally(new ProviderException(ErrorClass.RATE_LIMITED,
            "simulated rate limit", 429, "rate_limit_exceeded", config.retryAfter()));
      } else {
        reply.complete(answer(call, outputTokens));
      }
    };
    if (latencyNanos == 0) {
      answer.run();
    } else {
      scheduler.schedule(answer, latencyNanos, TimeUnit.NANOSECONDS);
    }
    return reply;
  }

  private static ProviderReply answer(ProviderCall call, int drawnTokens) {
    Integer max = call.request().getParams() == null ? null : call.request().getParams().getMaxTokens();
    int tokens = max == null ? drawnTokens : Math.min(drawnTokens, max);
    String[] words = Prompts.lastUserText(call.request()).trim().split("\\s+");
    StringBuilder content = new StringBuilder("Echo:");
    for (int i = 0; i < tokens - 1; i++) {
      String word = words[i % words.length];
      content.append(' ').append(word.isEmpty() ? "..." : word);
    }
    TokenUsage usage = TokenUsage.newBuilder()
        .setInputTokens(Prompts.estimateInputTokens(call.request()))
        .setOutputTokens(tokens)
        .build();
    return new ProviderReply(content.toString(), List.of(), tokens < drawnTokens ? "length" : "stop", usage, null);
  }

  private long seedFor(ProviderCall call) {
    long h = config.seed() * 0x9E3779B97F4A7C15L;
    h ^= call.request().getId().hashCode() * 0xC2B2AE3D27D4EB4FL;
    h ^= call.attempt() * 0x165667B19E3779F9L;
    return h;
  }

  private static long between(SplittableRandom random, long min, long max) {
    return min == max ? min : random.nextLong(min, max + 1);
  }
}
