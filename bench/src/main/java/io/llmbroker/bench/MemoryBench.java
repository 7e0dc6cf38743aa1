package io.llmbroker.bench;

import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench memory}: the resident memory of one worker, run in its own JVM so that
 * {@code /proc/<pid>/status} shows the worker alone, in two situations: a large lag (many
 * requests waiting on the topics) and many provider calls open at once.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
    description = {"Worker RSS with a large lag, and with many calls in flight against a slow provider.",
        "The worker runs in its own JVM; its memory is read from /proc/<pid>/status."})
final class MemoryBench implements Callable<Integer> {

  static final String SERVICE = "bench-memory";
  private static final long TARGET_BYTES = 512L * 1024 * 1024;
  static final String IN_FLIGHT_METRIC = "llm_broker_lane_in_flight";

  @Mixin
  BenchOptions options;

  @Option(names = "--lag", defaultValue = "100000", description = "Requests waiting on the topic in the lag run (default: ${DEFAULT-VALUE}).")
  int lag;

  @Option(names = "--in-flight", defaultValue = "2000",
      description = "Calls in flight at once in the second run (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--provider-latency-ms", defaultValue = "2000",
      description = "Simulated latency in the in-flight run (default: ${DEFAULT-VALUE}).")
  int providerLatencyMs;

  @Option(names = "--seconds", defaultValue = "45", description = "Seconds each run is sampled once the worker is ready (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--xmx", description = "-Xmx of the worker JVM, e.g. 256m (default: none, the JVM picks).")
  String xmx;

  @Override
  public Integer call() throws Exception {
    if (lag < 1 || inFlight < 1 || seconds < 1) {
      throw new IllegalArgumentException("--lag, --in-flight and --seconds must be >= 1: " + lag + ", " + inFlight + ", " + seconds);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    String heap = xmx == null
        ? "JVM default (no -Xmx: max heap " + ResultBlock.mebibytes(ChildWorker.defaultMaxHeapBytes()) + " on this machine)"
        : "-Xmx" + xmx;
    Path dir = Files.createTempDirectory("llm-broker-bench-memory");
    String broker;
    Sampled lagRun;
    Sampled inFlightRun;
    try (BenchKafka kafka = BenchKafka.open(options, "memory")) {
      broker = kafka.describeBroker();
      // A slow, narrow deployment keeps the lag in place while the worker holds what it may of it.
      System.err.printf("Run 1: %,d requests of lag%n", lag);
      lagRun = sample(kafka, dir, lag, 200, 16);
      kafka.deleteRunTopics();
      int backlog = (int) Math.min(Integer.MAX_VALUE, (long) inFlight * (seconds + 20) * 1000L / providerLatencyMs);
      System.err.printf("Run 2: %,d calls in flight (%,d requests enqueued)%n", inFlight, backlog);
      inFlightRun = sample(kafka, dir, backlog, providerLatencyMs, inFlight);
    }
    System.err.println("Worker configs and logs of this run: " + dir);
    options.publish(result(machine, date, broker, heap, lagRun, inFlightRun), System.out);
    return 0;
  }

  private Sampled sample(BenchKafka kafka, Path dir, int requests, int latencyMs, int cap) throws Exception {
    Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
    kafka.createTopics(topics, SERVICE);
    try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
      preloader.send(topics, Priority.STANDARD, SERVICE, "bench", requests);
    }
    BenchWorkers config = BenchWorkers.simulated(kafka.bootstrapServers(), topics.prefix(), Duration.ofMillis(latencyMs), cap)
        .withWorkerId("bench-memory-" + (cap == inFlight ? "in-flight" : "lag"));
    try (ReplyCounter replies = new ReplyCounter(kafka.bootstrapServers(), topics.responses(SERVICE)).start();
        ChildWorker worker = ChildWorker.start(config, Optional.ofNullable(xmx), dir, Map.of())) {
      long maxRss = 0;
      double maxInFlight = 0;
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      while (System.nanoTime() < end) {
        maxRss = Math.max(maxRss, worker.memory().map(ProcStatus.Memory::rssBytes).orElse(0L));
        maxInFlight = Math.max(maxInFlight, worker.ops().metric(IN_FLIGHT_METRIC).orElse(0));
        Thread.sleep(500);
      }
      ProcStatus.Memory last = worker.memory().orElseThrow(() ->
          new IllegalStateException("the worker exited during the run; see " + worker.log()));
      return new Sampled(requests, last.rssBytes(), Math.max(maxRss, last.rssBytes()), last.peakRssBytes(),
          (long) maxInFlight, replies.count());
    }
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, String heap, Sampled lagRun,
      Sampled inFlightRun) {
    boolean reached = inFlightRun.maxInFlight() >= inFlight;
    boolean met = lagRun.peakBytes() <= TARGET_BYTES && inFlightRun.peakBytes() <= TARGET_BYTES && reached;
    return new ResultBlock("Worker memory")
        .what("Resident memory (RSS) of one worker JVM with a large lag, and with many provider calls open at once.")
        .how(String.format(Locale.ROOT, "The worker runs alone in a child JVM (WorkerMain --config, heap: %s) on a %s;"
            + " RSS sampled from /proc/<pid>/status every 0.5 s for %d s after the worker was ready, peak = VmHWM. Lag run:"
            + " %,d requests enqueued first, simulated provider 200 ms, cap 16, so the lag stays. In-flight run: simulated"
            + " provider %,d ms, cap %,d, enough requests enqueued to keep the lane full; calls in flight read from the"
            + " worker's %s gauge. Product defaults otherwise (backlog-per-class 5000).", heap, broker, seconds, lag,
            providerLatencyMs, inFlight, IN_FLIGHT_METRIC))
        .command("llm-broker bench memory --lag " + lag + " --in-flight " + inFlight + " --provider-latency-ms "
            + providerLatencyMs + " --seconds " + seconds + (xmx == null ? "" : " --xmx " + xmx))
        .ranOn(machine, date)
        .target("worker RSS ≤ 512 MB with 100,000 requests of lag, and with 2,000 calls in flight against a 2-second provider")
        .columns(String.format(Locale.ROOT, "%,d requests of lag", lag), String.format(Locale.ROOT, "%,d calls in flight", inFlight))
        .figure("requests enqueued", String.format(Locale.ROOT, "%,d", lagRun.requests()),
            String.format(Locale.ROOT, "%,d", inFlightRun.requests()))
        .figure("answered while sampled", String.format(Locale.ROOT, "%,d", lagRun.answered()),
            String.format(Locale.ROOT, "%,d", inFlightRun.answered()))
        .figure("most calls in flight seen", Long.toString(lagRun.maxInFlight()), Long.toString(inFlightRun.maxInFlight()))
        .figure("RSS at the end", ResultBlock.mebibytes(lagRun.rssBytes()), ResultBlock.mebibytes(inFlightRun.rssBytes()))
        .figure("highest RSS sampled", ResultBlock.mebibytes(lagRun.maxSampledBytes()), ResultBlock.mebibytes(inFlightRun.maxSampledBytes()))
        .figure("peak RSS (VmHWM)", ResultBlock.mebibytes(lagRun.peakBytes()), ResultBlock.mebibytes(inFlightRun.peakBytes()))
        .verdict(met, "peaks " + ResultBlock.mebibytes(lagRun.peakBytes()) + " and " + ResultBlock.mebibytes(inFlightRun.peakBytes())
            + " against 512 MiB" + (reached ? "" : "; only " + inFlightRun.maxInFlight() + " of " + inFlight + " calls in flight were reached"));
  }

  private record Sampled(long requests, long rssBytes, long maxSampledBytes, long peakBytes, long maxInFlight, long answered) {}
}
