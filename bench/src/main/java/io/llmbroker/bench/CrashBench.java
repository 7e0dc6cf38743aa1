package io.llmbroker.bench;

import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.FakeProviderServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench crash}: one of several worker processes is killed with SIGKILL in the middle of a
 * batch, as a crash or an OOM kill would stop it: no drain, no commit, no goodbye to the group.
 * The workers are child JVMs against a {@link FakeProviderServer} (real HTTP); the replies are
 * counted by request id. Reports the requests lost, the duplicate replies next to the calls the
 * killed worker had in progress, and how long its partitions waited for a new owner.
 */
@Command(name = "crash", mixinStandardHelpOptions = true,
    description = {"Crash recovery: one of three worker processes is killed (SIGKILL) mid-batch.",
        "Reports requests lost, duplicate replies against the calls in progress at the kill,",
        "and the seconds until the killed worker's partitions are served again."})
final class CrashBench implements Callable<Integer> {

  static final String SERVICE = "bench-crash";
  private static final Duration TARGET_RECOVERY = Duration.ofSeconds(10);
  /** Longer than any session timeout a worker would run with: the wait for a dead member's partitions. */
  private static final Duration IDLE = Duration.ofSeconds(120);
  /** For the group to settle before the batch, and for the last commits and replies after it. */
  private static final Duration SETTLE = Duration.ofSeconds(90);

  @Mixin
  BenchOptions options;

  @Option(names = "--workers", defaultValue = "3", description = "Worker processes, one of which is killed (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--cap", defaultValue = "16", description = "The deployment's global cap (default: ${DEFAULT-VALUE}).")
  int cap;

  @Option(names = "--latency-ms", defaultValue = "100", description = "Fake provider latency (default: ${DEFAULT-VALUE}).")
  int latencyMs;

  @Option(names = "--requests", defaultValue = "4000",
      description = "Batch requests enqueued once the group settled; the kill comes when half are answered (default: ${DEFAULT-VALUE}).")
  int requests;

  @Mixin
  WorkerKafkaOption workerKafka;

  @Override
  public Integer call() throws Exception {
    if (workers < 2 || cap < 1 || requests < 2 || latencyMs < 0) {
      throw new IllegalArgumentException("--workers must be >= 2, --cap >= 1, --requests >= 2 and --latency-ms >= 0: "
          + workers + ", " + cap + ", " + requests + ", " + latencyMs);
    }
    // As in bench caps: without it the JDK's HTTP server adds ~40 ms to each answer.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    Path dir = Files.createTempDirectory("llm-broker-bench-crash");
    String broker;
    Run run;
    try (BenchKafka kafka = BenchKafka.open(options, "crash");
        FakeProviderServer provider = FakeProviderServer.start().latency(Duration.ofMillis(latencyMs))) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      kafka.createTopics(topics, SERVICE);
      WorkerGroup group = new WorkerGroup(kafka.admin(), topics.prefix() + "bench-crash-workers");
      BenchWorkers config = BenchWorkers.fakeProvider(kafka.bootstrapServers(), topics.prefix(), provider, cap)
          .withKafka(workerKafka.settings).withKafka(Map.of("group.id", group.id()));
      run = crash(kafka, topics, group, config, provider, dir);
    }
    System.err.println("Worker configs and logs of this run: " + dir);
    options.publish(result(machine, date, broker, run), System.out);
    return 0;
  }

  private Run crash(BenchKafka kafka, Topics topics, WorkerGroup group, BenchWorkers config, FakeProviderServer provider,
      Path dir) throws Exception {
    String batchTopic = topics.requests(Priority.BATCH).name();
    int partitions = kafka.endOffsets(batchTopic).size();
    PartitionRecovery recovery = new PartitionRecovery(partitions);
    List<BenchWorkers> configs = IntStream.rangeClosed(1, workers).mapToObj(i -> config.withWorkerId("bench-crash-" + i)).toList();
    List<String> ids = configs.stream().map(BenchWorkers::workerId).toList();
    try (ReplyCounter replies = new ReplyCounter(kafka.bootstrapServers(), topics.responses(SERVICE), System::nanoTime, recovery)
        .start()) {
      List<ChildWorker> children = ChildWorker.startAll(configs, Optional.empty(), dir, BenchWorkers.FAKE_PROVIDER_ENV);
      try {
        group.awaitSettled(Set.copyOf(ids), batchTopic, partitions, SETTLE);
        System.err.printf("%d workers in the group; enqueueing %,d batch requests%n", workers, requests);
        try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
          preloader.send(topics, Priority.BATCH, SERVICE, "bench", requests);
        }
        if (replies.awaitCount(requests / 2, IDLE) < requests / 2) {
          throw new IllegalStateException("the workers stopped answering before half the batch; see their logs in " + dir);
        }
        // The victim: the worker owning the most batch partitions now, so that the most work waits on recovery.
        Map<String, Set<Integer>> owned = group.partitionsByWorker(batchTopic);
        String victimId = owned.entrySet().stream().max(Comparator.comparingInt(e -> e.getValue().size()))
            .map(Map.Entry::getKey).orElseThrow();
        ChildWorker victim = children.get(ids.indexOf(victimId));
        long answeredBefore = replies.count();
        long inProgress = Math.round(victim.ops().metric(MemoryBench.IN_FLIGHT_METRIC).orElse(-1));
        System.err.printf("killing %s (pid %d, batch partitions %s) with %d calls in progress%n", victimId, victim.pid(),
            owned.get(victimId), inProgress);
        victim.kill();
        long killedAt = System.currentTimeMillis();
        recovery.arm(killedAt, owned.get(victimId));
        long answered = replies.awaitCount(requests, IDLE);
        long lastReplyMillis = System.currentTimeMillis() - killedAt;
        boolean settled = awaitEverythingRead(kafka, group, batchTopic, topics.responses(SERVICE).name(), replies);
        return new Run(partitions, victimId, owned.get(victimId), answeredBefore, inProgress, answered, replies.duplicates(),
            repeatedCalls(provider), replies.statuses(), recovery.millisUntilAllServed(), recovery.waiting(),
            lastReplyMillis, settled);
      } finally {
        children.forEach(ChildWorker::close);
      }
    }
  }

  /**
   * Waits until the group committed the whole batch and every reply record written was read, so
   * that no duplicate is still on its way; false when that did not happen within {@link #SETTLE}.
   */
  private static boolean awaitEverythingRead(BenchKafka kafka, WorkerGroup group, String requestTopic, String replyTopic,
      ReplyCounter replies) throws InterruptedException {
    try {
      Await.until(() -> group.committedUpTo(kafka.endOffsets(requestTopic))
          && replies.count() + replies.duplicates() >= kafka.endOffsets(replyTopic).values().stream().mapToLong(Long::longValue).sum(),
          SETTLE, "the batch committed and every reply read");
      return true;
    } catch (IllegalStateException e) {
      System.err.println("llm-broker bench crash: " + e.getMessage() + "; the duplicates counted may be short");
      return false;
    }
  }

  /** Provider calls for a request the provider had been called for already (each request's prompt is unique). */
  private static long repeatedCalls(FakeProviderServer provider) {
    Map<String, Integer> calls = new HashMap<>();
    provider.received().forEach(r -> calls.merge(r.json().path("messages").toString(), 1, Integer::sum));
    return calls.values().stream().mapToLong(n -> n - 1L).sum();
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, Run run) {
    long lost = requests - run.answered();
    long notOk = run.statuses().entrySet().stream().filter(e -> e.getKey() != ResponseStatus.OK)
        .mapToLong(Map.Entry::getValue).sum();
    boolean recovered = run.recoveryMillis().isPresent() && run.recoveryMillis().getAsLong() <= TARGET_RECOVERY.toMillis();
    boolean bounded = run.inProgress() >= 0 && run.duplicates() <= run.inProgress();
    boolean met = lost == 0 && notOk == 0 && bounded && recovered && run.settled();
    String recovery = run.recoveryMillis().isPresent()
        ? String.format(Locale.ROOT, "%.1f s", run.recoveryMillis().getAsLong() / 1000.0)
        : "not served again: partitions " + run.notServed();
    return new ResultBlock("Crash recovery, one of " + workers + " workers killed")
        .what("What a worker killed with SIGKILL in the middle of a batch costs: requests lost, requests answered twice,"
            + " and how long its partitions wait for a new owner.")
        .how(String.format(Locale.ROOT, "%d workers, each in its own JVM (WorkerMain, product settings%s), in one group on a %s,"
            + " %d partitions per request topic; one deployment capped at %d on a fake OpenAI-compatible provider (real HTTP,"
            + " %d ms per call). Once the group settled, %,d batch requests were enqueued; when half were answered, the worker"
            + " owning the most batch partitions was killed (SIGKILL). Replies counted by request id on the reply topic until"
            + " every request was answered (or none came for %d s), the group had committed the batch and every reply record"
            + " was read. Calls in progress: the killed worker's llm_broker_lane_in_flight read just before the kill."
            + " Served again: for each of its partitions, the first reply completed after the kill to a request of that"
            + " partition; the figure is the last of them.", workers,
            workerKafka.settings.isEmpty() ? "" : " with " + workerKafka.settings, broker, run.partitions(), cap, latencyMs, requests, IDLE.toSeconds()))
        .command("llm-broker bench crash --workers " + workers + " --cap " + cap + " --latency-ms " + latencyMs
            + " --requests " + requests
            + workerKafka.asArguments())
        .ranOn(machine, date)
        .target("0 requests lost; duplicate replies ≤ the calls in progress at the kill; the killed worker's partitions"
            + " served again ≤ 10 s after the kill")
        .figure("killed", run.victim() + ", owning batch partitions " + run.victimPartitions())
        .figure("answered before the kill", String.format(Locale.ROOT, "%,d", run.answeredBefore()))
        .figure("calls in progress in the killed worker at the kill", run.inProgress() < 0 ? "unknown (no metric)"
            : Long.toString(run.inProgress()))
        .figure("requests answered", String.format(Locale.ROOT, "%,d of %,d", run.answered(), requests))
        .figure("requests lost", Long.toString(lost))
        .figure("statuses", run.statuses().toString())
        .figure("duplicate replies (a second reply to a request id)", Long.toString(run.duplicates()))
        .figure("provider calls repeated (a request called again)", Long.toString(run.repeatedCalls()))
        .figure("killed worker's partitions served again after", recovery)
        .figure("kill to the last request answered", String.format(Locale.ROOT, "%.1f s", run.lastReplyMillis() / 1000.0))
        .verdict(met, lost + " lost, " + run.duplicates() + " duplicates" + (bounded ? " ≤ " : " > ") + run.inProgress()
            + " in progress, served again after " + recovery + (recovered ? " ≤ 10 s" : run.recoveryMillis().isPresent() ? " > 10 s" : "")
            + (notOk == 0 ? "" : ", " + notOk + " not OK") + (run.settled() ? "" : ", the run did not settle"));
  }

  private record Run(int partitions, String victim, Set<Integer> victimPartitions, long answeredBefore, long inProgress, long answered,
      long duplicates, long repeatedCalls, Map<ResponseStatus, Long> statuses, OptionalLong recoveryMillis,
      Set<Integer> notServed, long lastReplyMillis, boolean settled) {}
}
