package io.llmbroker.bench;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.WorkerService;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench priority}: interactive requests arriving while a large batch backlog saturates
 * a capped deployment. Measures the interactive requests' queue wait (the worker's
 * {@code timings.queued_ms}: created to first provider call) and the batch's progress in the
 * meantime, with the priority topics, and again with every request on the batch topic (one
 * FIFO queue) as the baseline.
 */
@Command(name = "priority", mixinStandardHelpOptions = true,
    description = {"Interactive queue wait while a batch backlog saturates a capped deployment.",
        "Run with the priority topics and, as the baseline, with one FIFO topic."})
final class PriorityBench implements Callable<Integer> {

  static final String BATCH_SERVICE = "bench-batch";
  static final String INTERACTIVE_SERVICE = "bench-interactive";
  private static final long TARGET_P99_MILLIS = 100;
  /** How long replies are awaited after the traffic stops; in the FIFO run they are far behind, so not long. */
  private static final Duration PRIORITY_GRACE = Duration.ofSeconds(30);
  private static final Duration FIFO_GRACE = Duration.ofSeconds(5);

  @Mixin
  BenchOptions options;

  @Option(names = "--batch", defaultValue = "20000", description = "Batch requests queued before the run (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--cap", defaultValue = "16", description = "Concurrency cap of the deployment (default: ${DEFAULT-VALUE}).")
  int cap;

  @Option(names = "--latency-ms", defaultValue = "200", description = "Simulated provider latency (default: ${DEFAULT-VALUE}).")
  int latencyMs;

  @Option(names = "--interactive-rate", defaultValue = "5",
      description = "Interactive requests per second during the run (default: ${DEFAULT-VALUE}).")
  double interactiveRate;

  @Option(names = "--seconds", defaultValue = "60", description = "Seconds of interactive traffic (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--no-baseline", description = "Skip the FIFO baseline run.")
  boolean noBaseline;

  @Override
  public Integer call() throws Exception {
    if (batch < cap || seconds < 1) {
      throw new IllegalArgumentException("--batch must be >= --cap and --seconds >= 1: " + batch + ", " + seconds);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    String broker;
    Run priority;
    Optional<Run> fifo = Optional.empty();
    try (BenchKafka kafka = BenchKafka.open(options, "priority")) {
      broker = kafka.describeBroker();
      System.err.println("Run 1: priority topics");
      priority = run(kafka, false);
      kafka.deleteRunTopics();
      if (!noBaseline) {
        System.err.println("Run 2: one FIFO topic (interactive requests on the batch topic)");
        fifo = Optional.of(run(kafka, true));
      }
    }
    options.publish(result(machine, date, broker, priority, fifo), System.out);
    return 0;
  }

  private Run run(BenchKafka kafka, boolean fifo) throws Exception {
    Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
    kafka.createTopics(topics, BATCH_SERVICE, INTERACTIVE_SERVICE);
    try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
      preloader.send(topics, Priority.BATCH, BATCH_SERVICE, "nightly", batch);
    }
    BenchWorkers config = BenchWorkers.simulated(kafka.bootstrapServers(), topics.prefix(), Duration.ofMillis(latencyMs), cap);
    Duration grace = fifo ? FIFO_GRACE : PRIORITY_GRACE;
    ClientConfig clientConfig = ClientConfig.of(kafka.bootstrapServers(), INTERACTIVE_SERVICE).withTopicPrefix(topics.prefix())
        .withDefaultTimeout(Duration.ofSeconds(seconds).plus(grace).plusSeconds(30));
    try (ReplyCounter batchReplies = new ReplyCounter(kafka.bootstrapServers(), topics.responses(BATCH_SERVICE)).start();
        LlmBrokerClient client = LlmBrokerClient.create(clientConfig);
        WorkerService worker = config.start(System.getenv())) {
      client.ready().get(60, TimeUnit.SECONDS);
      // The lanes are full of batch work once a cap's worth of batch replies came back.
      if (batchReplies.awaitCount(cap, Duration.ofSeconds(60)) < cap) {
        throw new IllegalStateException("the batch backlog did not start flowing within 60 s");
      }
      long batchBefore = batchReplies.count();
      long start = System.nanoTime();
      List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
      OpenLoop.atRate(interactiveRate).run(Duration.ofSeconds(seconds), (i, due) -> sent.add(new Sent(System.nanoTime(),
          client.request().model(BenchWorkers.MODEL).team("bench").app("chat").priority(fifo ? Priority.BATCH : Priority.INTERACTIVE)
              .user("Answer user question " + i + ": what is Kafka?").submit())));
      double batchRate = (batchReplies.count() - batchBefore) / ((System.nanoTime() - start) / 1e9);
      try {
        CompletableFuture.allOf(sent.stream().map(Sent::reply).toArray(CompletableFuture[]::new))
            .get(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // Unanswered requests are counted below, with how long they had waited as a lower bound.
      }
      return Run.of(sent, batchRate, batch - batchReplies.count(), System.nanoTime());
    }
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, Run priority, Optional<Run> fifo) {
    double capacity = cap / (latencyMs / 1000.0);
    long p99 = priority.queueWait().getValueAtPercentile(99);
    boolean met = priority.unanswered() == 0 && priority.sent() > 0 && p99 <= TARGET_P99_MILLIS && priority.batchRate() > 0;
    ResultBlock block = new ResultBlock("Interactive queue wait under a batch backlog")
        .what("Queue wait of interactive requests (the worker's timings.queued_ms: created to first provider call) while a"
            + " batch backlog saturates a capped deployment, and the batch's progress meanwhile.")
        .how(String.format(Locale.ROOT, "%,d batch requests enqueued on the batch topic, then one worker started (simulated"
            + " provider, %d ms latency, deployment cap %d, so at most %.0f requests/s; product min-shares); once the batch"
            + " flowed, interactive requests at %s/s for %d s through the client library (product settings); HdrHistogram."
            + " Baseline: the same run with the interactive requests sent to the batch topic, i.e. one FIFO queue; a request"
            + " still unanswered %s after the traffic stopped counts with the time it had waited so far (a lower bound, marked ≥;"
            + " in a FIFO queue its true wait is of the order of the batch work still ahead of it, last row)."
            + " On a %s, 6 partitions.", batch, latencyMs, cap, capacity, ResultBlock.number(interactiveRate), seconds, FIFO_GRACE.toSeconds() + " s", broker))
        .command("llm-broker bench priority --batch " + batch + " --cap " + cap + " --latency-ms " + latencyMs
            + " --interactive-rate " + ResultBlock.number(interactiveRate) + " --seconds " + seconds + (noBaseline ? " --no-baseline" : ""))
        .ranOn(machine, date)
        .target("interactive queue wait p99 ≤ 100 ms while the batch still progresses")
        .columns(fifo.isPresent() ? new String[] {"priority topics", "one FIFO topic (baseline)"} : new String[] {"priority topics"});
    row(block, "interactive requests sent", priority, fifo, r -> String.format(Locale.ROOT, "%,d", r.sent()));
    row(block, "unanswered when measured", priority, fifo, r -> Long.toString(r.unanswered()));
    row(block, "interactive queue wait p50", priority, fifo, r -> r.waitAt(50));
    row(block, "interactive queue wait p99", priority, fifo, r -> r.waitAt(99));
    row(block, "interactive queue wait max", priority, fifo, r -> r.waitAt(100));
    row(block, "batch progress during the run", priority, fifo, r -> String.format(Locale.ROOT, "%.1f requests/s (%.0f %% of %.0f)",
        r.batchRate(), 100 * r.batchRate() / capacity, capacity));
    row(block, "batch requests not yet answered at the end", priority, fifo, r -> String.format(Locale.ROOT,
        "%,d (%.0f s of work at that rate)", r.batchLeft(), r.batchRate() > 0 ? r.batchLeft() / r.batchRate() : 0.0));
    return block.verdict(met, "priority topics: p99 " + p99 + " ms" + (p99 <= TARGET_P99_MILLIS ? " ≤" : " >") + " 100 ms, "
        + priority.unanswered() + " unanswered, batch at " + String.format(Locale.ROOT, "%.1f", priority.batchRate()) + " requests/s");
  }

  private static void row(ResultBlock block, String name, Run priority, Optional<Run> fifo, Function<Run, String> cell) {
    if (fifo.isPresent()) {
      block.figure(name, cell.apply(priority), cell.apply(fifo.get()));
    } else {
      block.figure(name, cell.apply(priority));
    }
  }

  private record Sent(long sentNanos, CompletableFuture<LlmResponse> reply) {}

  /**
   * One run's figures. Queue waits in milliseconds; an unanswered request contributes the time
   * it had waited when the run ended, so its percentiles are lower bounds.
   */
  private record Run(long sent, long unanswered, Histogram queueWait, double batchRate, long batchLeft) {

    static Run of(List<Sent> sent, double batchRate, long batchLeft, long endNanos) {
      Histogram waits = new Histogram(3);
      long unanswered = 0;
      for (Sent s : sent) {
        LlmResponse r = s.reply().isDone() && !s.reply().isCompletedExceptionally() ? s.reply().join() : null;
        if (r != null && r.getStatus() == ResponseStatus.OK) {
          waits.recordValue(Math.max(0, r.getTimings().getQueuedMs()));
        } else {
          unanswered++;
          waits.recordValue(Math.max(0, (endNanos - s.sentNanos()) / 1_000_000));
        }
      }
      return new Run(sent.size(), unanswered, waits, batchRate, batchLeft);
    }

    String waitAt(double percentile) {
      long millis = percentile >= 100 ? queueWait.getMaxValue() : queueWait.getValueAtPercentile(percentile);
      // An unanswered request's true wait is at least what was recorded, so every percentile is at least this.
      return (unanswered > 0 ? "≥ " : "") + String.format(Locale.ROOT, "%,d ms", millis);
    }
  }
}
