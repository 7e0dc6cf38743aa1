package io.llmbroker.bench;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.WorkerService;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench latency}: the latency llm-broker adds between a caller's {@code submit()} and
 * its reply, with a zero-latency simulated provider, under open-loop load at a fixed rate.
 * The client and one worker run in this JVM against a real broker.
 */
@Command(name = "latency", mixinStandardHelpOptions = true,
    description = {"Added latency, submit to reply, at a fixed request rate (zero-latency provider).",
        "Open loop: each request is timed from when it was due, so a stall cannot hide slow requests."})
final class LatencyBench implements Callable<Integer> {

  static final String SERVICE = "bench-latency";

  /**
   * The product sends requests (client) with {@code linger.ms=0} and replies (worker) with 1 ms,
   * since a caller waits on each, while the worker batches usage and audit records. {@code --linger-ms}
   * overrides every producer here to show what lingering costs. Consumers need nothing: with
   * the default {@code fetch.min.bytes=1} a fetch returns as soon as one record is there.
   */
  private static final long TARGET_P50_MICROS = 5_000;
  private static final long TARGET_P99_MICROS = 20_000;
  private static final Duration REPLY_GRACE = Duration.ofSeconds(30);

  @Mixin
  BenchOptions options;

  @Option(names = "--rate", defaultValue = "200", description = "Requests per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--seconds", defaultValue = "60", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "10",
      description = "Seconds of load before measuring, excluded from the figures (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--linger-ms",
      description = "linger.ms for every producer of the client and the worker, instead of the product's settings.")
  Integer lingerMs;

  @Override
  public Integer call() throws Exception {
    if (seconds < 1 || warmupSeconds < 0 || (lingerMs != null && lingerMs < 0)) {
      throw new IllegalArgumentException("--seconds must be >= 1, --warmup-seconds and --linger-ms >= 0: " + seconds + ", "
          + warmupSeconds + ", " + lingerMs);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    Map<String, String> tuning = lingerMs == null ? Map.of() : Map.of(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
    Measured m;
    String broker;
    try (BenchKafka kafka = BenchKafka.open(options, "latency")) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      kafka.createTopics(topics, SERVICE);
      BenchWorkers config = BenchWorkers.simulated(kafka.bootstrapServers(), topics.prefix(), Duration.ZERO, 64)
          .withKafka(tuning);
      ClientConfig clientConfig = ClientConfig.of(kafka.bootstrapServers(), SERVICE).withTopicPrefix(topics.prefix())
          .withDefaultTimeout(REPLY_GRACE).withKafka(tuning);
      try (WorkerService worker = config.start(System.getenv());
          LlmBrokerClient client = LlmBrokerClient.create(clientConfig)) {
        client.ready().get(60, TimeUnit.SECONDS);
        Await.until(worker::ready, Duration.ofSeconds(60), "the worker joining its group");
        System.err.printf("Sending %.0f requests/s: %d s warm-up, then %d s measured...%n", rate, warmupSeconds, seconds);
        m = measure(client);
      }
    }
    options.publish(result(machine, date, broker, m), System.out);
    return 0;
  }

  /** Latencies from due time to reply, of requests due after the warm-up. */
  private Measured measure(LlmBrokerClient client) throws InterruptedException {
    Recorder latency = new Recorder(3);
    Recorder workerTotal = new Recorder(3);
    AtomicLong failed = new AtomicLong();
    long warmupSends = Math.round(warmupSeconds * rate);
    List<CompletableFuture<LlmResponse>> measured = Collections.synchronizedList(new ArrayList<>());
    long sent = OpenLoop.atRate(rate).run(Duration.ofSeconds(warmupSeconds + seconds), (i, due) -> {
      CompletableFuture<LlmResponse> reply = client.request().model(BenchWorkers.MODEL).team("bench").app("latency")
          .priority(Priority.INTERACTIVE).user("Say hello to caller " + i + ".").submit();
      if (i < warmupSends) {
        return;
      }
      measured.add(reply.whenComplete((r, e) -> {
        if (e == null && r.getStatus() == ResponseStatus.OK) {
          latency.recordValue(Math.max(0, (System.nanoTime() - due) / 1000));
          workerTotal.recordValue(r.getTimings().getTotalMs() * 1000);
        } else {
          failed.incrementAndGet();
        }
      }));
    });
    try {
      CompletableFuture.allOf(measured.toArray(CompletableFuture[]::new)).get(REPLY_GRACE.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Failures and missing replies are counted per request; the figures say how many.
    }
    long unanswered = measured.stream().filter(f -> !f.isDone()).count();
    return new Measured(sent - warmupSends, latency.getIntervalHistogram(), workerTotal.getIntervalHistogram(),
        failed.get() + unanswered);
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, Measured m) {
    Histogram h = m.latency();
    long p50 = h.getValueAtPercentile(50);
    long p99 = h.getValueAtPercentile(99);
    boolean met = m.failed() == 0 && h.getTotalCount() > 0 && p50 <= TARGET_P50_MICROS && p99 <= TARGET_P99_MICROS;
    return new ResultBlock("Added latency, submit to reply" + (lingerMs == null ? "" : " (linger.ms " + lingerMs + ")"))
        .what("Time from a request's due send time to its reply completing the caller's future, with a zero-latency"
            + " simulated provider: the latency llm-broker itself adds.")
        .how(String.format(Locale.ROOT, "Open-loop load at %.0f requests/s (each request timed from when it was due,"
            + " so stalls are not hidden), %d s warm-up excluded, %d s measured; interactive priority; client and one worker"
            + " in one JVM on a %s, 6 partitions; HdrHistogram. Kafka client settings: %s.", rate, warmupSeconds, seconds,
            broker, lingerMs == null ? "the product's (linger.ms 0 for requests, 1 for replies, 5 for usage and audit records)"
                : "linger.ms=" + lingerMs + " on every producer of the client and the worker"))
        .command("llm-broker bench latency --rate " + ResultBlock.number(rate) + " --seconds " + seconds + " --warmup-seconds " + warmupSeconds
            + (lingerMs == null ? "" : " --linger-ms " + lingerMs))
        .ranOn(machine, date)
        .target("p50 ≤ 5 ms, p99 ≤ 20 ms at 200 requests/s, no failed request")
        .anchor("LiteLLM publishes a 12 ms median and 43 ms p99 at about 1,000 requests/s on 8 CPUs.")
        .figure("requests measured", String.format(Locale.ROOT, "%,d", m.sent()))
        .figure("failed or unanswered", Long.toString(m.failed()))
        .figure("p50", ResultBlock.millis(p50))
        .figure("p90", ResultBlock.millis(h.getValueAtPercentile(90)))
        .figure("p99", ResultBlock.millis(p99))
        .figure("p99.9", ResultBlock.millis(h.getValueAtPercentile(99.9)))
        .figure("max", ResultBlock.millis(h.getMaxValue()))
        .figure("of which in the worker (timings.total_ms: created to response built, ms resolution): p50 / p99",
            ResultBlock.millis(m.workerTotal().getValueAtPercentile(50)) + " / "
                + ResultBlock.millis(m.workerTotal().getValueAtPercentile(99)))
        .verdict(met, "p50 " + ResultBlock.millis(p50) + (p50 <= TARGET_P50_MICROS ? " ≤" : " >") + " 5 ms, p99 "
            + ResultBlock.millis(p99) + (p99 <= TARGET_P99_MICROS ? " ≤" : " >") + " 20 ms, " + m.failed() + " failed");
  }

  private record Measured(long sent, Histogram latency, Histogram workerTotal, long failed) {}
}
