package io.llmbroker.worker.ops;

import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Kafka side's meters, all prefixed {@code llm_broker_worker_}: backlog per class, requests
 * in flight, paused partitions, requests by status and class, latency histograms, DLQ, decode
 * retries and publish failures. The provider side registers its own lane and provider meters on the same
 * registry.
 *
 * <p>Thread-safe.
 */
public final class WorkerMetrics {

  private final MeterRegistry registry;
  private final Map<Priority, AtomicInteger> backlog = new EnumMap<>(Priority.class);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger pausedPartitions = new AtomicInteger();
  private final Map<Priority, Timer> totalLatency = new EnumMap<>(Priority.class);
  private final Map<Priority, Timer> queuedLatency = new EnumMap<>(Priority.class);
  private final Counter deadLetters;
  private final Counter publishFailures;
  private final Counter decodeRetries;
  private final Counter commitFailures;

  public WorkerMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Priority priority : Priority.values()) {
      String name = className(priority);
      AtomicInteger depth = new AtomicInteger();
      backlog.put(priority, depth);
      Gauge.builder("llm_broker_worker_backlog", depth, AtomicInteger::get)
          .description("Requests of one class held in memory, from poll until their outputs are acknowledged")
          .tag("class", name).register(registry);
      totalLatency.put(priority, Timer.builder("llm_broker_worker_request_latency")
          .description("From created_at to the response, per class")
          .tag("class", name).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
          .register(registry));
      queuedLatency.put(priority, Timer.builder("llm_broker_worker_queue_latency")
          .description("From created_at to the first provider call (or the outcome when none), per class")
          .tag("class", name).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
          .register(registry));
    }
    Gauge.builder("llm_broker_worker_in_flight", inFlight, AtomicInteger::get)
        .description("Requests handed to the router and not yet answered").register(registry);
    Gauge.builder("llm_broker_worker_paused_partitions", pausedPartitions, AtomicInteger::get)
        .description("Request partitions paused because their class's backlog is full").register(registry);
    deadLetters = Counter.builder("llm_broker_worker_dlq")
        .description("Records that could not be read, sent to the DLQ").register(registry);
    decodeRetries = Counter.builder("llm_broker_worker_decode_retries")
        .description("Requests read again later because the schema registry could not be reached").register(registry);
    commitFailures = Counter.builder("llm_broker_worker_commit_failures")
        .description("Offset commits the group refused or that failed, e.g. during a rebalance (retried)").register(registry);
    publishFailures = Counter.builder("llm_broker_worker_publish_failures")
        .description("Outputs the producer could not deliver (retried when retriable)").register(registry);
  }

  /** The live backlog counter of one class; the intake increments and decrements it. */
  public AtomicInteger backlog(Priority priority) {
    return backlog.get(priority);
  }

  public AtomicInteger inFlight() {
    return inFlight;
  }

  public void pausedPartitions(int count) {
    pausedPartitions.set(count);
  }

  /** Counts one final outcome and its latencies. */
  public void answered(Priority priority, ResponseStatus status, long queuedMillis, long totalMillis) {
    registry.counter("llm_broker_worker_requests", "class", className(priority),
        "status", status.name().toLowerCase(Locale.ROOT)).increment();
    queuedLatency.get(priority).record(Duration.ofMillis(Math.max(0, queuedMillis)));
    totalLatency.get(priority).record(Duration.ofMillis(Math.max(0, totalMillis)));
  }

  /** Requests answered so far with {@code status}, all classes together. */
  public double answeredCount(ResponseStatus status) {
    String tag = status.name().toLowerCase(Locale.ROOT);
    return registry.find("llm_broker_worker_requests").tag("status", tag).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  public void deadLettered() {
    deadLetters.increment();
  }

  public double deadLetterCount() {
    return deadLetters.count();
  }

  public void decodeRetried() {
    decodeRetries.increment();
  }

  public double decodeRetryCount() {
    return decodeRetries.count();
  }

  public void commitFailed() {
    commitFailures.increment();
  }

  public double commitFailureCount() {
    return commitFailures.count();
  }

  public void publishFailed() {
    publishFailures.increment();
  }

  private static String className(Priority priority) {
    return priority.name().toLowerCase(Locale.ROOT);
  }
}
