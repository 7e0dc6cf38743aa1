package io.llmbroker.bench;

import io.llmbroker.runtime.budgets.BudgetRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench budgets}: how far concurrent traffic on several workers overspends one hard
 * budget, against the bound the README derives (see {@link BudgetBoundRun}).
 */
@Command(name = "budgets", mixinStandardHelpOptions = true,
    description = {"Overspend of one hard budget under a concurrent burst on several workers, with the real cost"
        + " aggregator (simulated provider)."})
final class BudgetsBench implements Callable<Integer> {

  @Mixin
  BenchOptions options;

  @Option(names = "--workers", defaultValue = "3", description = "Workers in this JVM (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--requests", defaultValue = "600", description = "Requests in the burst (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--limit-micros", defaultValue = "20000",
      description = "The budget's limit in micro-dollars (default: ${DEFAULT-VALUE}).")
  long limitMicros;

  @Option(names = "--max-concurrency", defaultValue = "12",
      description = "Global cap of the simulated deployment (default: ${DEFAULT-VALUE}).")
  int maxConcurrency;

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || requests < 1 || limitMicros < 1 || maxConcurrency < 1) {
      throw new IllegalArgumentException("--workers, --requests, --limit-micros and --max-concurrency must be >= 1");
    }
    BudgetBoundRun.Settings settings = new BudgetBoundRun.Settings(workers, requests, limitMicros, maxConcurrency,
        Duration.ofMillis(50), Duration.ofMillis(150), 40, Duration.ofMillis(100), true);
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    Path stateDir = Files.createTempDirectory("llm-broker-bench-budgets");
    BudgetBoundRun.Result result;
    String broker;
    try (BenchKafka kafka = BenchKafka.open(options, "budgets")) {
      broker = kafka.describeBroker();
      result = new BudgetBoundRun(kafka.bootstrapServers(), kafka.newPrefix(), stateDir, settings).run();
    }
    options.publish(result(machine, date, broker, settings, result), System.out);
    return 0;
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, BudgetBoundRun.Settings s,
      BudgetBoundRun.Result r) {
    double callsPerSecond = r.statuses().getOrDefault(io.llmbroker.avro.ResponseStatus.OK, 0L) / Math.max(0.001, r.seconds());
    return new ResultBlock("Hard budget overspend under concurrency")
        .what("How far one hard daily budget is overspent when " + s.workers() + " workers serve a concurrent burst"
            + " worth several times its limit, with the cost aggregator publishing its state.")
        .how(String.format(Locale.ROOT, "%,d standard requests (max_tokens %d) sent at once to fresh topics (6"
            + " partitions) on a %s; %d workers and the cost aggregator (commit interval %d ms, exactly-once) in this"
            + " JVM; simulated provider, %d-%d ms, global cap %d, $1/$2 per million input/output tokens. Spend ="
            + " the cost of every usage event (each request once); bound = the most spend the llm.budget-state"
            + " records of one poll added plus what calls cost beyond their reserved maximum; state lag = a"
            + " call's end to the first llm.budget-state record covering it.",
            s.requests(), s.maxTokens(), broker, s.workers(), s.aggregatorCommit().toMillis(), s.minLatency().toMillis(),
            s.maxLatency().toMillis(), s.maxConcurrency()))
        .command("llm-broker bench budgets --workers " + s.workers() + " --requests " + s.requests() + " --limit-micros "
            + s.limitMicros() + " --max-concurrency " + s.maxConcurrency())
        .ranOn(machine, date)
        .target("overspend <= one poll of state spend + estimate error")
        .anchor("gateways that check spend after the fact (check, then increment) admit every request while the"
            + " published spend is under the limit, and per-replica limits let each replica spend the whole limit")
        .figure("limit", BudgetRules.usd(r.limitMicros()))
        .figure("spent", BudgetRules.usd(r.spentMicros()))
        .figure("overspend", BudgetRules.usd(r.overspendMicros()))
        .figure("bound: most spend one poll of states added + estimate error", BudgetRules.usd(r.stateStepMicros()) + " + "
            + BudgetRules.usd(r.estimateErrorMicros()) + " = " + BudgetRules.usd(r.boundMicros()))
        .figure("spend within one state lag (the former bound)", BudgetRules.usd(r.lagSpendMicros()))
        .figure("state lag (measured): longest, median call", r.stateLagMs() + " ms, " + r.medianStateLagMs() + " ms")
        .figure("most expensive call", BudgetRules.usd(r.maxCostMicros()))
        .figure("answers", r.statuses().toString())
        .figure("served calls per second", ResultBlock.number(callsPerSecond))
        .figure("check-after-the-fact estimate: calls in flight plus one state lag of calls",
            BudgetRules.usd(Math.round((s.maxConcurrency() + callsPerSecond * r.stateLagMs() / 1000.0)
                * r.maxCostMicros())))
        .figure("per-replica limits: worst case", BudgetRules.usd(r.limitMicros() * s.workers()))
        .verdict(r.withinBound(), "overspend " + BudgetRules.usd(r.overspendMicros()) + " vs bound "
            + BudgetRules.usd(r.boundMicros()));
  }
}
