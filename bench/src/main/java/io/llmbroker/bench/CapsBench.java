package io.llmbroker.bench;

import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.worker.WorkerService;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench caps}: several workers of one group share one deployment's concurrency cap.
 * The provider is a {@link FakeProviderServer} reached over real HTTP through the
 * OpenAI-compatible adapter; it counts the calls it serves at once. The maximum is taken over
 * the whole run (start-up, rebalances, shutdown included); the time-weighted average over a
 * window of saturation after the group settled.
 */
@Command(name = "caps", mixinStandardHelpOptions = true,
    description = {"Cap fidelity: several workers of one group against one capped deployment.",
        "The provider is a fake OpenAI-compatible server that reports the most calls it served at once",
        "and the average under saturation."})
final class CapsBench implements Callable<Integer> {

  static final String SERVICE = "bench-caps";
  /** The variable the workers read the provider key from; the bench's own value, not a real key. */
  private static final String KEY_ENV = "LLM_BROKER_BENCH_FAKE_KEY";
  private static final double TARGET_AVERAGE = 0.9;

  @Mixin
  BenchOptions options;

  @Option(names = "--workers", defaultValue = "3", description = "Workers in the group (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--cap", defaultValue = "16", description = "The deployment's global cap (default: ${DEFAULT-VALUE}).")
  int cap;

  @Option(names = "--latency-ms", defaultValue = "100", description = "Fake provider latency (default: ${DEFAULT-VALUE}).")
  int latencyMs;

  @Option(names = "--requests", defaultValue = "8000",
      description = "Backlog enqueued first; must outlast the settle and measured time (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--settle-seconds", defaultValue = "5",
      description = "Seconds after every worker is ready before measuring the average (default: ${DEFAULT-VALUE}).")
  int settleSeconds;

  @Option(names = "--seconds", defaultValue = "20", description = "Seconds the average is measured over (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || cap < 1 || seconds < 1 || requests < 1) {
      throw new IllegalArgumentException("--workers, --cap, --seconds and --requests must be >= 1");
    }
    // The JDK's HTTP server leaves Nagle's algorithm on unless told; with a delayed ACK on the
    // caller's side that adds about 40 ms to each answer, which a real provider does not. Read
    // once, when the first server starts in this JVM: here, before the fake provider.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    String broker;
    Run run;
    try (BenchKafka kafka = BenchKafka.open(options, "caps");
        FakeProviderServer provider = FakeProviderServer.start().latency(Duration.ofMillis(latencyMs))) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      kafka.createTopics(topics, SERVICE);
      try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
        preloader.send(topics, Priority.STANDARD, SERVICE, "bench", requests);
      }
      BenchWorkers config = BenchWorkers.openAi(kafka.bootstrapServers(), topics.prefix(), provider.openAiBaseUrl(), KEY_ENV, cap);
      run = measure(kafka, topics, config, provider);
    }
    options.publish(result(machine, date, broker, run), System.out);
    return 0;
  }

  private Run measure(BenchKafka kafka, Topics topics, BenchWorkers config, FakeProviderServer provider) throws Exception {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put(KEY_ENV, "bench-fake-provider-key");
    List<WorkerService> group = new ArrayList<>();
    try (ReplyCounter replies = new ReplyCounter(kafka.bootstrapServers(), topics.responses(SERVICE)).start()) {
      try {
        for (int i = 1; i <= workers; i++) {
          group.add(config.withWorkerId("bench-worker-" + i).start(env));
        }
        Await.until(() -> group.stream().allMatch(WorkerService::ready), Duration.ofSeconds(60), "every worker joining the group");
        System.err.printf("%d workers ready; settling %d s, then measuring %d s...%n", workers, settleSeconds, seconds);
        Thread.sleep(Duration.ofSeconds(settleSeconds).toMillis());
        int maxStartup = provider.maxConcurrency();
        provider.resetStats();
        double laneAverage = sampleLanes(group);
        double average = provider.averageConcurrency();
        int maxInWindow = provider.maxConcurrency();
        long answeredAtEnd = replies.count();
        provider.resetStats();
        // One by one, as a scale-down would: each close hands partitions, and cap slots, to the others.
        for (WorkerService w : group) {
          w.close();
        }
        return new Run(maxStartup, maxInWindow, provider.maxConcurrency(), average, laneAverage, answeredAtEnd,
            answeredAtEnd < requests);
      } finally {
        group.forEach(WorkerService::close);
      }
    }
  }

  /**
   * Samples, for the measured window, the slots the workers' lanes hold (their in-flight gauge,
   * summed): next to the provider's own count it tells time spent inside the worker from time
   * spent on the way to and from the provider.
   */
  private double sampleLanes(List<WorkerService> group) throws InterruptedException {
    List<OpsEndpoint> endpoints = group.stream().map(w -> new OpsEndpoint(w.opsPort())).toList();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    double sum = 0;
    int samples = 0;
    while (System.nanoTime() < end) {
      sum += endpoints.stream().mapToDouble(e -> e.metric(MemoryBench.IN_FLIGHT_METRIC).orElse(0)).sum();
      samples++;
      Thread.sleep(250);
    }
    return samples == 0 ? 0 : sum / samples;
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, Run run) {
    boolean met = run.saturated() && run.maxOverall() <= cap && run.average() >= TARGET_AVERAGE * cap;
    return new ResultBlock("Cap fidelity with " + workers + " workers")
        .what("Calls the provider served at once, when " + workers + " workers of one group share one deployment capped at "
            + cap + " concurrent calls.")
        .how(String.format(Locale.ROOT, "A fake OpenAI-compatible provider (real HTTP on loopback, TCP_NODELAY, %d ms per"
            + " call) counts the calls it serves at once, from reading a request to having written its answer; %,d standard requests enqueued, then %d workers started in this JVM in one"
            + " group (partitions divided between them by the cooperative assignor) on a %s, 6 partitions, then closed one"
            + " by one. Maximum over the whole run, start-up, rebalances and shutdown included; time-weighted average over %d s of saturation,"
            + " %d s after every worker was ready.", latencyMs, requests, workers, broker, seconds, settleSeconds))
        .command("llm-broker bench caps --workers " + workers + " --cap " + cap + " --latency-ms " + latencyMs
            + " --requests " + requests + " --settle-seconds " + settleSeconds + " --seconds " + seconds)
        .ranOn(machine, date)
        .target("maximum concurrency seen by the provider ≤ the cap, exactly; average ≥ 90 % of the cap under saturation")
        .figure("cap", Integer.toString(cap))
        .figure("maximum at once, whole run", Integer.toString(run.maxOverall()))
        .figure("maximum at once, start-up (workers joining one by one) and settling", Integer.toString(run.maxStartup()))
        .figure("maximum at once, measured window", Integer.toString(run.maxInWindow()))
        .figure("maximum at once, shutdown (workers leaving one by one)", Integer.toString(run.maxShutdown()))
        .figure("average at once, measured window", String.format(Locale.ROOT, "%.2f (%.1f %% of the cap)",
            run.average(), 100 * run.average() / cap))
        .figure("slots held in the workers' lanes, measured window (llm_broker_lane_in_flight summed, sampled every 250 ms)",
            String.format(Locale.ROOT, "%.2f on average", run.laneAverage()))
        .figure("backlog left at the window's end", run.saturated() ? String.format(Locale.ROOT, "%,d requests",
            requests - run.answeredAtEnd()) : "none: the backlog ran out, raise --requests")
        .verdict(met, "max " + run.maxOverall() + (run.maxOverall() <= cap ? " ≤ " : " > ") + cap + ", average "
            + String.format(Locale.ROOT, "%.1f %%", 100 * run.average() / cap) + (run.average() >= TARGET_AVERAGE * cap ? " ≥" : " <")
            + " 90 %" + (run.saturated() ? "" : ", not saturated throughout"));
  }

  private record Run(int maxStartup, int maxInWindow, int maxShutdown, double average, double laneAverage,
      long answeredAtEnd, boolean saturated) {

    int maxOverall() {
      return Math.max(maxStartup, Math.max(maxInWindow, maxShutdown));
    }
  }
}
