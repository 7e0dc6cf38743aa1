package io.llmbroker.worker.routing;

import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.worker.pricing.PriceTable;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/** What every {@link Execution} of one router shares. Immutable; its parts are thread-safe. */
final class RouterContext {

  final RoutingConfig config;
  final Clock clock;
  final ScheduledExecutorService scheduler;
  final Backoff backoff;
  final PriceTable prices;
  final RouterMetrics metrics;

  RouterContext(RoutingConfig config, Clock clock, ScheduledExecutorService scheduler, Backoff backoff,
      PriceTable prices, RouterMetrics metrics) {
    this.config = config;
    this.clock = clock;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.prices = prices;
    this.metrics = metrics;
  }
}
