package io.llmbroker.worker.routing;

import io.llmbroker.avro.ErrorClass;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The router's meters: provider latency per provider and model, errors by class, retries,
 * fallbacks, cool-downs and cost in micro-dollars. Lanes register their own gauges.
 * Thread-safe (Micrometer caches registered meters).
 */
final class RouterMetrics {

  private final MeterRegistry meters;

  RouterMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  void latency(Route route, boolean ok, long nanos) {
    Timer.builder("llm_broker_provider_latency")
        .description("duration of provider calls")
        .tag("provider", route.provider()).tag("model", route.model).tag("outcome", ok ? "ok" : "error")
        .publishPercentileHistogram()
        .register(meters).record(nanos, TimeUnit.NANOSECONDS);
  }

  void error(Route route, ErrorClass errorClass) {
    Counter.builder("llm_broker_provider_errors").description("failed provider calls by class")
        .tag("provider", route.provider()).tag("deployment", route.deployment).tag("error_class", tag(errorClass))
        .register(meters).increment();
  }

  void retry(Route route, ErrorClass errorClass) {
    Counter.builder("llm_broker_retries").description("retries scheduled on the same deployment")
        .tag("deployment", route.deployment).tag("error_class", tag(errorClass))
        .register(meters).increment();
  }

  void fallback(Route from, ErrorClass errorClass) {
    Counter.builder("llm_broker_fallbacks").description("requests moved on to the next deployment of their alias")
        .tag("from", from.deployment).tag("error_class", tag(errorClass))
        .register(meters).increment();
  }

  void cooldown(String deployment) {
    Counter.builder("llm_broker_cooldowns").description("times a deployment was cooled down: repeated failures, a credential failure or a failed probe")
        .tag("deployment", deployment).register(meters).increment();
  }

  void cost(Route route, long micros) {
    Counter.builder("llm_broker_cost_micros").description("priced cost of successful calls, micro-dollars")
        .tag("provider", route.provider()).tag("model", route.model)
        .register(meters).increment(micros);
  }

  private static String tag(ErrorClass c) {
    return c.name().toLowerCase(Locale.ROOT);
  }
}
