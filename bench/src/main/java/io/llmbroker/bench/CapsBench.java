package io.llmbroker.bench;

import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.FakeProviderServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench caps}: several workers of one group share one deployment's concurrency cap while
 * the group changes under saturating load. The provider is a {@link FakeProviderServer}
 * reached over real HTTP through the OpenAI-compatible adapter; it counts the calls it serves
 * at once. The run is cut into phases, each with its own maximum and time-weighted average:
 * start-up, a steady window, a worker joining (in its own JVM), a worker leaving gracefully,
 * the joined worker killed with SIGKILL, and shutdown.
 */
@Command(name = "caps", mixinStandardHelpOptions = true,
    description = {"Cap fidelity: several workers of one group against one capped deployment, while workers join,",
        "leave and one is killed. The provider is a fake OpenAI-compatible server that reports the most calls",
        "it served at once and the average, per phase."})
final class CapsBench implements Callable<Integer> {

  static final String SERVICE = "bench-caps";
  private static final double TARGET_AVERAGE = 0.9;
  private static final Duration LANE_SAMPLE = Duration.ofMillis(250);

  @Mixin
  BenchOptions options;

  @Option(names = "--workers", defaultValue = "3", description = "Workers in the group before the churn (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--cap", defaultValue = "16", description = "The deployment's global cap (default: ${DEFAULT-VALUE}).")
  int cap;

  @Option(names = "--latency-ms", defaultValue = "100", description = "Fake provider latency (default: ${DEFAULT-VALUE}).")
  int latencyMs;

  @Option(names = "--requests", defaultValue = "20000",
      description = "Backlog enqueued first; must outlast every phase but shutdown (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--settle-seconds", defaultValue = "5",
      description = "Seconds after every worker is ready and the first answer came, before the steady window (default: ${DEFAULT-VALUE}).")
  int settleSeconds;

  @Option(names = "--seconds", defaultValue = "20",
      description = "Seconds each measured phase runs after its event: steady, join, leave, kill (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || cap < 1 || seconds < 1 || requests < 1 || settleSeconds < 0) {
      throw new IllegalArgumentException("--workers, --cap, --seconds and --requests must be >= 1, --settle-seconds >= 0: "
          + workers + ", " + cap + ", " + seconds + ", " + requests + ", " + settleSeconds);
    }
    // The JDK's HTTP server leaves Nagle's algorithm on unless told; with a delayed ACK on the
    // caller's side that adds about 40 ms to each answer, which a real provider does not. Read
    // once, when the first server starts in this JVM: here, before the fake provider.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    Path dir = Files.createTempDirectory("llm-broker-bench-caps");
    String broker;
    List<Phase> phases;
    try (BenchKafka kafka = BenchKafka.open(options, "caps");
        FakeProviderServer provider = FakeProviderServer.start().latency(Duration.ofMillis(latencyMs))) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      kafka.createTopics(topics, SERVICE);
      try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
        preloader.send(topics, Priority.STANDARD, SERVICE, "bench", requests);
      }
      BenchWorkers config = BenchWorkers.fakeProvider(kafka.bootstrapServers(), topics.prefix(), provider, cap);
      phases = measure(kafka, topics, config, provider, dir);
    }
    System.err.println("Config and log of the worker that joined: " + dir);
    options.publish(result(machine, date, broker, phases), System.out);
    return 0;
  }

  private List<Phase> measure(BenchKafka kafka, Topics topics, BenchWorkers config, FakeProviderServer provider, Path dir)
      throws Exception {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putAll(BenchWorkers.FAKE_PROVIDER_ENV);
    List<Phase> phases = new ArrayList<>();
    try (ReplyCounter replies = new ReplyCounter(kafka.bootstrapServers(), topics.responses(SERVICE)).start();
        ChurningGroup group = new ChurningGroup(config, env, dir)) {
      Meter meter = new Meter(provider, replies, group);
      meter.begin();
      for (int i = 0; i < workers; i++) {
        group.startHere();
      }
      Await.until(() -> group.ready() && replies.count() > 0, Duration.ofSeconds(60), "every worker ready and a first answer");
      System.err.printf("%d workers ready; settling %d s, then %d s per phase...%n", workers, settleSeconds, seconds);
      Thread.sleep(Duration.ofSeconds(settleSeconds).toMillis());
      phases.add(meter.end("start-up",
          workers + " workers start in this JVM, one by one; " + settleSeconds + " s to settle after the first answer"));
      phases.add(meter.phase("steady", "none", () -> { }));
      phases.add(meter.phase("join", "a worker joins, in its own JVM (timed from its launch)", group::joinInOwnJvm));
      phases.add(meter.phase("leave", "the oldest worker leaves (graceful close)", group::leaveOne));
      phases.add(meter.phase("kill", "the joined worker is killed (SIGKILL)", group::killNewestChild));
      meter.begin();
      group.leaveAll();
      phases.add(meter.end("shutdown", "the rest leave one by one"));
    }
    return phases;
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, List<Phase> phases) {
    List<Phase> measured = phases.stream().filter(p -> p.average().isPresent()).toList();
    List<String> misses = new ArrayList<>();
    for (Phase p : phases) {
      if (p.max() > cap) {
        misses.add(p.name() + ": max " + p.max() + " > " + cap);
      }
    }
    for (Phase p : measured) {
      if (p.max() < cap) {
        misses.add(p.name() + ": max " + p.max() + " < " + cap);
      }
      if (p.average().getAsDouble() < TARGET_AVERAGE * cap) {
        misses.add(p.name() + String.format(Locale.ROOT, ": average %.1f %% < 90 %%", percent(p.average().getAsDouble())));
      }
      if (!p.saturated()) {
        misses.add(p.name() + ": the backlog ran out, raise --requests");
      }
    }
    ResultBlock block = new ResultBlock("Cap fidelity with " + workers + " workers, under churn")
        .what("Calls the provider served at once, when " + workers + " workers of one group share one deployment capped at "
            + cap + " concurrent calls, while workers join, leave and one is killed.")
        .how(String.format(Locale.ROOT, "A fake OpenAI-compatible provider (real HTTP on loopback, TCP_NODELAY, %d ms per"
            + " call) counts the calls it serves at once, from reading a request to having written its answer; %,d standard"
            + " requests enqueued, then %d workers started in this JVM in one group (the product's assignor) on a %s,"
            + " 6 partitions. Then phases, each timed from its event to %d s after the event completed: steady (nothing"
            + " changes), join (one more worker in its own JVM), leave (the oldest worker closes), kill (the joined worker"
            + " gets SIGKILL: no drain, no leaving the group). Finally the rest close one by one. Per phase: the most calls at"
            + " once and the time-weighted average; the workers' lane slots (llm_broker_lane_in_flight summed) sampled every"
            + " 250 ms after each event.", latencyMs, requests, workers, broker, seconds))
        .command("llm-broker bench caps --workers " + workers + " --cap " + cap + " --latency-ms " + latencyMs
            + " --requests " + requests + " --settle-seconds " + settleSeconds + " --seconds " + seconds)
        .ranOn(machine, date)
        .target("in every phase the provider's maximum at once equals the cap, never above; average ≥ 90 % of the cap in"
            + " each saturated phase (steady, join, leave, kill)")
        .columns(phases.stream().map(Phase::name).toArray(String[]::new));
    block.figure("event", column(phases, Phase::event))
        .figure("workers live after it", column(phases, p -> Integer.toString(p.workersAfter())))
        .figure("length", column(phases, p -> String.format(Locale.ROOT, "%.1f s", p.seconds())))
        .figure("maximum at once (cap " + cap + ")", column(phases, p -> Integer.toString(p.max())))
        .figure("average at once", column(phases, p -> p.average().isPresent()
            ? String.format(Locale.ROOT, "%.2f (%.1f %%)", p.average().getAsDouble(), percent(p.average().getAsDouble()))
            : "not measured"))
        .figure("slots held in the lanes, average", column(phases, p -> p.laneAverage().isPresent()
            ? String.format(Locale.ROOT, "%.2f", p.laneAverage().getAsDouble()) : "not measured"))
        .figure("backlog left at its end", column(phases, p -> String.format(Locale.ROOT, "%,d", p.backlogLeft())));
    return block.verdict(misses.isEmpty(), misses.isEmpty()
        ? "max = " + cap + " and average ≥ 90 % in every measured phase, never above " + cap
        : String.join("; ", misses));
  }

  private double percent(double average) {
    return 100 * average / cap;
  }

  private static String[] column(List<Phase> phases, Function<Phase, String> value) {
    return phases.stream().map(value).toArray(String[]::new);
  }

  /** What the provider saw in one phase; the average and lane slots are empty for start-up and shutdown, which do not saturate. */
  private record Phase(String name, String event, int workersAfter, double seconds, int max, OptionalDouble average,
      OptionalDouble laneAverage, long backlogLeft) {

    boolean saturated() {
      return backlogLeft > 0;
    }
  }

  /** An action that changes the group; it may block until done. */
  private interface Event {
    void run() throws Exception;
  }

  /** Cuts the run into phases on the provider's statistics. Not thread-safe. */
  private final class Meter {

    private final FakeProviderServer provider;
    private final ReplyCounter replies;
    private final ChurningGroup group;
    private long startNanos;

    Meter(FakeProviderServer provider, ReplyCounter replies, ChurningGroup group) {
      this.provider = provider;
      this.replies = replies;
      this.group = group;
    }

    void begin() {
      provider.resetStats();
      startNanos = System.nanoTime();
    }

    /** Runs {@code event}, then samples the lanes for {@code --seconds}; measured from the event's start. */
    Phase phase(String name, String description, Event event) throws Exception {
      begin();
      event.run();
      OptionalDouble lanes = sampleLanes();
      return end(name, description, OptionalDouble.of(provider.averageConcurrency()), lanes);
    }

    /** The phase since {@link #begin()}, maximum only: it does not saturate the provider by design. */
    Phase end(String name, String description) {
      return end(name, description, OptionalDouble.empty(), OptionalDouble.empty());
    }

    private Phase end(String name, String description, OptionalDouble average, OptionalDouble lanes) {
      return new Phase(name, description, group.live(), (System.nanoTime() - startNanos) / 1e9, provider.maxConcurrency(),
          average, lanes, requests - replies.count());
    }

    /**
     * The slots the live workers' lanes hold, summed, on average over {@code --seconds}: next to
     * the provider's own count it tells time spent inside the worker from time spent on the way
     * to and from the provider.
     */
    private OptionalDouble sampleLanes() throws InterruptedException {
      List<OpsEndpoint> endpoints = group.endpoints();
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      double sum = 0;
      int samples = 0;
      while (System.nanoTime() < end) {
        sum += endpoints.stream().mapToDouble(e -> e.metric(MemoryBench.IN_FLIGHT_METRIC).orElse(0)).sum();
        samples++;
        Thread.sleep(LANE_SAMPLE.toMillis());
      }
      return samples == 0 ? OptionalDouble.empty() : OptionalDouble.of(sum / samples);
    }
  }
}
