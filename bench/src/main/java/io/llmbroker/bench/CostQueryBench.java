package io.llmbroker.bench;

import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.schemas.Topics;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench cost-query}: latency of cost queries over a month of hourly rollups, through one
 * aggregator instance, then through one of two (each query fans out to the other).
 */
@Command(name = "cost-query", mixinStandardHelpOptions = true,
    description = {"Cost query latency over a month of rollups, on one aggregator instance and fanned out across two."})
final class CostQueryBench implements Callable<Integer> {

  private static final long TARGET_P99_MS = 50;
  private static final Instant MONTH = Instant.parse("2026-10-01T00:00:00Z");
  private static final Duration SPAN = Duration.ofDays(30);
  private static final int WARM_UP = 5;

  @Mixin
  BenchOptions options;

  @Option(names = "--events", defaultValue = "500000", description = "Usage events over the month (default: ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--queries", defaultValue = "200", description = "Timed queries of each kind and setup (default: ${DEFAULT-VALUE}).")
  int queries;

  /** The kinds of query timed, by name: an analyst's questions over the month. */
  private static Map<String, IntFunction<String>> kinds() {
    String month = "from=" + MONTH + "&to=" + MONTH.plus(SPAN);
    Map<String, IntFunction<String>> kinds = new LinkedHashMap<>();
    kinds.put("team X on model Y by customer, hourly", i -> "granularity=hour&" + month + "&team=team-" + (i % CostBenchData.TEAMS)
        + "&model=model-" + (i % CostBenchData.MODELS) + "&group-by=customer");
    kinds.put("team X by model and customer, month", i -> "granularity=month&" + month + "&team=team-" + (i % CostBenchData.TEAMS)
        + "&group-by=model,customer");
    kinds.put("every team, top 10, daily", i -> "granularity=day&" + month + "&group-by=team&top=10");
    return kinds;
  }

  @Override
  public Integer call() throws Exception {
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    Map<String, long[]> one;
    Map<String, long[]> two;
    String broker;
    HttpClient http = HttpClient.newHttpClient();
    try (BenchKafka kafka = BenchKafka.open(options, "cost-query")) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      Topics.createMissing(kafka.admin(), List.of(topics.usage()), BenchKafka.REPLICATION);
      CostBenchData.produce(kafka.bootstrapServers(), topics, events, MONTH, SPAN);
      String appId = topics.prefix() + "costs";
      // The month is loaded as one backlog: the partitions' tasks run hours apart in event time.
      String rollup = "{grace: 31d, dedup-window: 32d}";
      Path stateA = CostBenchData.stateDir();
      Path stateB = CostBenchData.stateDir();
      try (CostAggregatorService a = CostBenchData.start(kafka.bootstrapServers(), topics, appId, rollup, stateA)) {
        Await.until(() -> CostBenchData.consumedAll(kafka, topics, appId), Duration.ofMinutes(30), "the month rolled up");
        awaitWhole(http, a);
        one = time(http, List.of(a));
        try (CostAggregatorService b = CostBenchData.start(kafka.bootstrapServers(), topics, appId, rollup, stateB)) {
          Await.until(() -> local(http, b) > 0 && local(http, a) < events, Duration.ofMinutes(15), "the second instance owning partitions");
          awaitWhole(http, a);
          awaitWhole(http, b);
          two = time(http, List.of(a, b));
        }
      } finally {
        CostBenchData.deleteState(stateA);
        CostBenchData.deleteState(stateB);
      }
    }
    ResultBlock block = new ResultBlock("Cost query latency")
        .what("Time to answer cost queries over a month of hourly rollups, through one aggregator instance and through"
            + " either of two (fan-out: the instance asks the other for its partitions over HTTP).")
        .how(String.format(Locale.ROOT, "%,d usage events over 30 days (%d teams x %d models x %d customers, drawn at random),"
            + " rolled up by the aggregator (grace 31 d to take the month as one backlog), %d partitions, on a %s; then %d timed"
            + " queries of each kind after %d untimed, one at a time over HTTP, with teams and models varying; then a second"
            + " instance joins and the same queries go alternately to each.", events, CostBenchData.TEAMS, CostBenchData.MODELS,
            CostBenchData.CUSTOMERS, CostBenchData.PARTITIONS, broker, queries, WARM_UP))
        .command("llm-broker bench cost-query --events " + events + " --queries " + queries)
        .ranOn(machine, date)
        .target("p99 <= " + TARGET_P99_MS + " ms, one instance and fanned out across two")
        .anchor("issue 9")
        .columns("one instance p50", "one instance p99", "two instances p50", "two instances p99");
    boolean met = true;
    for (String kind : kinds().keySet()) {
      long[] o = one.get(kind);
      long[] t = two.get(kind);
      block.figure(kind, ms(CostBenchData.quantile(o, 0.5)), ms(CostBenchData.quantile(o, 0.99)),
          ms(CostBenchData.quantile(t, 0.5)), ms(CostBenchData.quantile(t, 0.99)));
      met &= CostBenchData.quantile(o, 0.99) <= TARGET_P99_MS * 1000 && CostBenchData.quantile(t, 0.99) <= TARGET_P99_MS * 1000;
    }
    options.publish(block.verdict(met, "every kind of query within " + TARGET_P99_MS + " ms at p99 in both setups: " + met), System.out);
    return 0;
  }

  /** Microseconds per query, sorted, by kind; queries go to {@code instances} in turn. */
  private Map<String, long[]> time(HttpClient http, List<CostAggregatorService> instances) {
    Map<String, long[]> times = new LinkedHashMap<>();
    Random random = new Random(7);
    for (Map.Entry<String, IntFunction<String>> kind : kinds().entrySet()) {
      System.err.printf("timing '%s' through %d instance(s)%n", kind.getKey(), instances.size());
      for (int i = 0; i < WARM_UP; i++) {
        ok(CostBenchData.get(http, instances.get(i % instances.size()), "/api/costs?" + kind.getValue().apply(random.nextInt(1000))));
      }
      long[] micros = new long[queries];
      for (int i = 0; i < queries; i++) {
        String query = "/api/costs?" + kind.getValue().apply(random.nextInt(1000));
        long t0 = System.nanoTime();
        ok(CostBenchData.get(http, instances.get(i % instances.size()), query));
        micros[i] = (System.nanoTime() - t0) / 1000;
      }
      Arrays.sort(micros);
      times.put(kind.getKey(), micros);
    }
    return times;
  }

  private void awaitWhole(HttpClient http, CostAggregatorService instance) throws InterruptedException {
    String all = "/api/costs?granularity=month&from=" + MONTH + "&to=" + MONTH.plus(SPAN);
    Await.until(() -> {
      HttpResponse<String> r = CostBenchData.get(http, instance, all);
      return r.statusCode() == 200 && r.body().contains("\"totals\":{\"requests\":" + events + ",");
    }, Duration.ofMinutes(10), "the whole month answered");
  }

  private long local(HttpClient http, CostAggregatorService instance) {
    HttpResponse<String> r = CostBenchData.get(http, instance,
        "/api/costs?granularity=month&from=" + MONTH + "&to=" + MONTH.plus(SPAN) + "&scope=local");
    if (r.statusCode() != 200) {
      return -1;
    }
    String body = r.body();
    int at = body.indexOf("\"totals\":{\"requests\":");
    return Long.parseLong(body.substring(at + 21, body.indexOf(',', at)));
  }

  private static void ok(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("query answered " + response.statusCode() + ": " + response.body());
    }
  }

  private static String ms(long micros) {
    return ResultBlock.millis(micros);
  }
}
