package io.llmbroker.bench;

import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.WorkerService;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench throughput}: how many requests per second one worker answers end to end with a
 * zero-latency simulated provider. A backlog is enqueued first, then one worker starts and the
 * responses are counted on the reply topic; the rate is taken between the first and the last
 * response, so start-up is not counted against the worker.
 */
@Command(name = "throughput", mixinStandardHelpOptions = true,
    description = {"Sustained throughput of one worker with a zero-latency simulated provider.",
        "A backlog is enqueued, one worker starts, responses are counted on the reply topic."})
final class ThroughputBench implements Callable<Integer> {

  static final String SERVICE = "bench-throughput";
  private static final double TARGET = 10_000;
  private static final Duration IDLE = Duration.ofSeconds(30);

  @Mixin
  BenchOptions options;

  @Option(names = "--requests", defaultValue = "200000", description = "Requests to enqueue and answer (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--max-concurrency", defaultValue = "64",
      description = "Cap of the simulated deployment (default: ${DEFAULT-VALUE}).")
  int maxConcurrency;

  @Option(names = "--backlog-per-class",
      description = "The worker's intake.backlog-per-class (default: the product's).")
  Integer backlogPerClass;

  @Mixin
  WorkerKafkaOption workerKafka;

  @Override
  public Integer call() throws Exception {
    if (requests < 2) {
      throw new IllegalArgumentException("--requests must be >= 2: " + requests);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    String broker;
    double enqueueSeconds;
    Run run;
    try (BenchKafka kafka = BenchKafka.open(options, "throughput")) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      kafka.createTopics(topics, SERVICE);
      long enqueueStart = System.nanoTime();
      try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
        preloader.send(topics, Priority.STANDARD, SERVICE, "bench", requests);
      }
      enqueueSeconds = (System.nanoTime() - enqueueStart) / 1e9;
      BenchWorkers config = BenchWorkers.simulated(kafka.bootstrapServers(), topics.prefix(), Duration.ZERO, maxConcurrency)
          .withKafka(workerKafka.settings);
      if (backlogPerClass != null) {
        config = config.withBacklogPerClass(backlogPerClass);
      }
      run = answer(kafka, topics, config, requests);
    }
    options.publish(result(machine, date, broker, enqueueSeconds, run), System.out);
    return 0;
  }

  /** Starts one worker on {@code topics} and counts its answers to the {@code requests} enqueued there. */
  static Run answer(BenchKafka kafka, Topics topics, BenchWorkers config, int requests) throws InterruptedException {
    try (ProgressBar progress = new ProgressBarBuilder().setTaskName("answered").setInitialMax(requests)
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().continuousUpdate().build();
        ReplyCounter counter = new ReplyCounter(kafka.bootstrapServers(), topics.responses(SERVICE), System::nanoTime,
            (r, t, repeat) -> {
              if (!repeat) {
                progress.step();
              }
            }).start()) {
      long workerStart = System.nanoTime();
      try (WorkerService worker = config.start(System.getenv())) {
        long answered = counter.awaitCount(requests, IDLE);
        return new Run(answered, counter.duplicates(), counter.statuses(), counter.firstNanos() - workerStart,
            counter.lastNanos() - counter.firstNanos());
      }
    }
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, double enqueueSeconds, Run run) {
    double seconds = run.firstToLastNanos() / 1e9;
    double rate = run.rate();
    long notOk = run.notOk();
    boolean complete = run.answered() >= requests;
    boolean met = complete && notOk == 0 && rate >= TARGET;
    return new ResultBlock("Sustained throughput of one worker")
        .what("Requests answered per second, end to end (read from the request topic, simulated call, response, usage and"
            + " audit records published), by one worker with a zero-latency simulated provider.")
        .how(String.format(Locale.ROOT, "%,d standard-priority requests enqueued first (a batching lz4 producer, %.1f s),"
            + " then one worker started in this JVM (Kafka settings: %s; deployment cap %d) on a %s, 6 partitions;"
            + " the responses counted on the reply topic by a consumer in this JVM (distinct request ids); rate ="
            + " requests answered between the first and the last response / time between them.", requests, enqueueSeconds,
            workerKafka.settings.isEmpty() ? "the product's" : "the product's with " + workerKafka.settings, maxConcurrency, broker))
        .command("llm-broker bench throughput --requests " + requests + " --max-concurrency " + maxConcurrency
            + (backlogPerClass == null ? "" : " --backlog-per-class " + backlogPerClass)
            + workerKafka.asArguments())
        .ranOn(machine, date)
        .target("≥ 10,000 requests/s end to end, every request answered OK")
        .figure("requests answered", String.format(Locale.ROOT, "%,d of %,d", run.answered(), requests))
        .figure("statuses", run.statuses().toString())
        .figure("duplicate replies", Long.toString(run.duplicates()))
        .figure("worker start to first response", String.format(Locale.ROOT, "%.1f s", run.startToFirstNanos() / 1e9))
        .figure("first to last response", String.format(Locale.ROOT, "%.1f s", seconds))
        .figure("throughput", ResultBlock.rate(rate))
        .verdict(met, ResultBlock.rate(rate) + (rate >= TARGET ? " ≥" : " <") + " 10,000 requests/s"
            + (complete ? "" : ", only " + run.answered() + " of " + requests + " answered") + (notOk == 0 ? "" : ", " + notOk + " not OK"));
  }

  record Run(long answered, long duplicates, Map<ResponseStatus, Long> statuses, long startToFirstNanos,
      long firstToLastNanos) {

    /** Requests answered per second between the first and the last response. */
    double rate() {
      double seconds = firstToLastNanos / 1e9;
      return seconds > 0 ? (answered - 1) / seconds : 0;
    }

    long notOk() {
      return statuses.entrySet().stream().filter(e -> e.getKey() != ResponseStatus.OK).mapToLong(Map.Entry::getValue).sum();
    }
  }
}
