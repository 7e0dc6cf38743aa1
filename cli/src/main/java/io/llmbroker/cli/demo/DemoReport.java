package io.llmbroker.cli.demo;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.cli.demo.DemoCommand.DemoRun;
import io.llmbroker.cli.demo.DemoCommand.Sent;
import io.llmbroker.cli.local.LocalStack;
import io.llmbroker.costs.query.CostQuery;
import io.llmbroker.costs.query.CostQueryClient;
import io.llmbroker.costs.query.CostRow;
import io.llmbroker.costs.query.Dimension;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;

/** Prints what a demo run did: statuses, latency per priority, cost per team, the archive. */
final class DemoReport {

  private static final Duration SETTLE = Duration.ofSeconds(60);

  private final PrintStream out;
  private final LocalStack stack;
  private final DemoRun run;

  DemoReport(PrintStream out, LocalStack stack, DemoRun run) {
    this.out = out;
    this.stack = stack;
    this.run = run;
  }

  void print() throws Exception {
    out.printf("%nAnswered %d requests in %.1f s.%n", run.sent().size(), run.elapsed().toMillis() / 1000.0);
    statuses();
    latencies();
    costs();
    DemoBudget.report(out, stack.costs().port(), run);
    archive();
  }

  private void statuses() {
    List<ResponseStatus> shown = List.of(ResponseStatus.OK, ResponseStatus.ERROR, ResponseStatus.EXPIRED,
        ResponseStatus.REJECTED, ResponseStatus.INVALID);
    out.printf("%nRequests by status and priority%n  %-12s", "priority");
    shown.forEach(s -> out.printf("%9s", s));
    out.printf("%9s%n", "total");
    for (Priority p : Priority.values()) {
      out.printf("  %-12s", p.name().toLowerCase());
      shown.forEach(s -> out.printf("%9d", run.sent().stream()
          .filter(x -> x.priority() == p && x.response().getStatus() == s).count()));
      out.printf("%9d%n", run.sent().stream().filter(x -> x.priority() == p).count());
    }
  }

  private void latencies() {
    out.printf("%nLatency per priority, milliseconds (queue wait is time before the provider call started)%n");
    out.printf("  %-12s %8s %8s %8s %8s   %10s %10s%n", "priority", "p50", "p90", "p99", "max", "queue p50", "queue p99");
    for (Priority p : Priority.values()) {
      List<Sent> of = run.sent().stream().filter(x -> x.priority() == p).toList();
      if (of.isEmpty()) {
        continue;
      }
      Histogram total = histogram(of, Sent::latencyMillis);
      Histogram queued = histogram(of, x -> x.response().getTimings().getQueuedMs());
      out.printf("  %-12s %8d %8d %8d %8d   %10d %10d%n", p.name().toLowerCase(),
          total.getValueAtPercentile(50), total.getValueAtPercentile(90), total.getValueAtPercentile(99),
          total.getMaxValue(), queued.getValueAtPercentile(50), queued.getValueAtPercentile(99));
    }
  }

  private void costs() throws InterruptedException {
    long billable = run.sent().stream().filter(x -> x.response().getStatus() == ResponseStatus.OK).count();
    URI api = URI.create("http://localhost:" + stack.costs().port());
    CostQueryClient client = new CostQueryClient(api);
    Instant now = Instant.now();
    CostQuery byTeam = CostQuery.of(Granularity.HOUR, now.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1)),
        now.plus(Duration.ofHours(1))).groupedBy(Dimension.TEAM);
    AtomicReference<List<CostRow>> rows = new AtomicReference<>(List.of());
    await(() -> {
      try {
        rows.set(client.query(byTeam));
      } catch (CostQueryClient.CostQueryException e) {
        if (e.status() != 503) {
          throw e;
        }
        return false;
      }
      return rows.get().stream().mapToLong(CostRow::requests).sum() >= billable;
    });
    out.printf("%nCost by team, as answered by the cost aggregator (%s/api/costs?granularity=hour&group-by=team)%n", api);
    out.printf("  %-10s %9s %12s %12s %14s%n", "team", "requests", "input tok", "output tok", "cost USD");
    BigDecimal sum = BigDecimal.ZERO;
    for (String team : DemoCommand.TEAMS) {
      List<CostRow> of = rows.get().stream().filter(r -> team.equals(r.dimension(Dimension.TEAM))).toList();
      long micros = of.stream().mapToLong(CostRow::costMicros).sum();
      sum = sum.add(BigDecimal.valueOf(micros, 6));
      out.printf("  %-10s %9d %12d %12d %14s%n", team, of.stream().mapToLong(CostRow::requests).sum(),
          of.stream().mapToLong(CostRow::inputTokens).sum(), of.stream().mapToLong(CostRow::outputTokens).sum(),
          BigDecimal.valueOf(micros, 6).toPlainString());
    }
    BigDecimal answered = BigDecimal.valueOf(run.sent().stream().mapToLong(x -> x.response().getCostMicros()).sum(), 6);
    out.printf("  %-10s %9s %12s %12s %14s   (the responses themselves add up to %s)%n", "all", "", "", "",
        sum.toPlainString(), answered.toPlainString());
  }

  private void archive() throws InterruptedException {
    Path dir = stack.audit().archiveDir().toAbsolutePath();
    long expected = run.sent().size();
    long[] count = {0};
    await(() -> (count[0] = AuditArchive.count(dir)) >= expected);
    out.printf("%nAudit archive: %d records under %s%n", count[0], dir);
    out.println("  ask it: llm-broker audit query \"SELECT model, count(*), sum(cost_usd) FROM calls GROUP BY model\"");
  }

  private static Histogram histogram(List<Sent> of, ToLongFunction<Sent> value) {
    Histogram h = new Histogram(3);
    of.forEach(x -> h.recordValue(Math.max(0, value.applyAsLong(x))));
    return h;
  }

  /** Waits for the asynchronous jobs to catch up with what the demo sent. */
  private static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
  }
}
