package io.llmbroker.bench;

import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.schemas.Topics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench rollups}: how many usage events per second one cost aggregator rolls up
 * (exactly-once, hourly and daily, deduplicated), from a backlog written before it starts.
 */
@Command(name = "rollups", mixinStandardHelpOptions = true,
    description = {"Usage events per second rolled up by one cost aggregator, from a backlog."})
final class RollupsBench implements Callable<Integer> {

  private static final double TARGET = 50_000;

  @Mixin
  BenchOptions options;

  @Option(names = "--events", defaultValue = "500000", description = "Usage events in the backlog (default: ${DEFAULT-VALUE}).")
  int events;

  /**
   * CPU time of the job's stream threads so far: the work of the topology and its clients, which a
   * loaded machine slows down in wall time but not in CPU time.
   */
  private static long streamThreadsCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains("StreamThread")) {
        total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return total;
  }

  @Override
  public Integer call() throws Exception {
    if (events < 1_000) {
      throw new IllegalArgumentException("--events must be >= 1000: " + events);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    String broker;
    long runningMillis;
    long doneMillis;
    long streamCpuNanos;
    String total;
    try (BenchKafka kafka = BenchKafka.open(options, "rollups")) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      Topics.createMissing(kafka.admin(), List.of(topics.usage()), BenchKafka.REPLICATION);
      // Two hours of live traffic: the order of arrival stays within the default grace.
      Instant start = Instant.now().minus(Duration.ofHours(2));
      CostBenchData.produce(kafka.bootstrapServers(), topics, events, start, Duration.ofHours(2));
      String appId = topics.prefix() + "costs";
      Path state = CostBenchData.stateDir();
      long t0 = System.nanoTime();
      try (CostAggregatorService service = CostBenchData.start(kafka.bootstrapServers(), topics, appId, "{}", state)) {
        Await.until(service::ready, Duration.ofMinutes(2), "the aggregator running");
        long t1 = System.nanoTime();
        long cpu1 = streamThreadsCpuNanos();
        Await.until(() -> CostBenchData.consumedAll(kafka, topics, appId), Duration.ofMinutes(30), "every usage event rolled up");
        long t2 = System.nanoTime();
        streamCpuNanos = streamThreadsCpuNanos() - cpu1;
        HttpClient http = HttpClient.newHttpClient();
        String query = "/api/costs?granularity=day&from=" + start.minus(Duration.ofDays(1)) + "&to=" + start.plus(Duration.ofDays(1));
        Await.until(() -> CostBenchData.get(http, service, query).body().contains("\"totals\":{\"requests\":" + events + ","),
            Duration.ofMinutes(5), "every event counted in the rollups");
        total = "all " + events + " counted";
        runningMillis = (t1 - t0) / 1_000_000;
        doneMillis = (t2 - t0) / 1_000_000;
      } finally {
        CostBenchData.deleteState(state);
      }
    }
    double rate = events * 1000.0 / Math.max(1, doneMillis - runningMillis);
    options.publish(new ResultBlock("Cost rollup throughput")
        .what("Usage events per second rolled up by one cost aggregator (exactly_once_v2; dedup, hourly and daily windows).")
        .how(String.format(Locale.ROOT, "%,d usage events (%d teams x %d models x %d customers, over two hours of event time)"
            + " written to llm.usage (%d partitions) first, then one aggregator started in this JVM on a %s; rate = events /"
            + " time from the job RUNNING until its committed offsets reach the end of llm.usage and of its repartition"
            + " topic; then the API's total is checked.", events, CostBenchData.TEAMS, CostBenchData.MODELS, CostBenchData.CUSTOMERS,
            CostBenchData.PARTITIONS, broker))
        .command("llm-broker bench rollups --events " + events)
        .ranOn(machine, date)
        .target(String.format(Locale.ROOT, ">= %,.0f usage events/s", TARGET))
        .anchor("issue 9")
        .figure("start to RUNNING", ResultBlock.millis(runningMillis * 1000))
        .figure("RUNNING to every event rolled up", ResultBlock.millis((doneMillis - runningMillis) * 1000))
        .figure("rollup throughput", String.format(Locale.ROOT, "%,.0f events/s", rate))
        .figure("stream thread CPU time meanwhile", ResultBlock.millis(streamCpuNanos / 1000))
        .figure("events per CPU second of the stream thread", String.format(Locale.ROOT, "%,.0f events/s",
            events * 1e9 / Math.max(1, streamCpuNanos)))
        .figure("API total", total)
        .verdict(rate >= TARGET, String.format(Locale.ROOT, "%,.0f events/s against %,.0f", rate, TARGET)), System.out);
    return 0;
  }
}
