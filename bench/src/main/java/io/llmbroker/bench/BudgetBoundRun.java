package io.llmbroker.bench;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.client.RequestBuilder;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.providers.UsageEstimator;
import io.llmbroker.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One measurement of a hard budget's overspend: one small daily budget for team {@value #TEAM},
 * the real cost aggregator and several workers in this JVM, all on fresh topics of one broker,
 * and a burst of concurrent requests worth several times the limit (simulated provider).
 *
 * <p>It reports the overspend (spend counted from {@code llm.usage}, each request once, minus the
 * limit) and the bound it must stay within (the README's): the most spend the
 * {@code llm.budget-state} records of one poll added (what two workers following the topic one
 * poll apart disagree on) plus what calls cost beyond the maximum they reserved (the input
 * estimate's error). It also reports the state lag, the longest time from a call's end
 * ({@code occurred_at}) to the first state record whose spend covers everything that ended by then,
 * which the bound no longer contains. Not thread-safe; run once.
 */
final class BudgetBoundRun {

  static final String TEAM = "bench-budget";
  static final String BUDGET = "bench-hard-daily";
  private static final String SERVICE = "bench-budgets";
  private static final String MODEL = "bench-model";

  /**
   * What one run is given.
   *
   * @param aggregator false runs no cost aggregator: no state ever reaches the workers, as with an
   *     endless state lag
   */
  record Settings(int workers, int requests, long limitMicros, int maxConcurrency, Duration minLatency,
      Duration maxLatency, int maxTokens, Duration aggregatorCommit, boolean aggregator) {}

  /** What one run measured, in micro-dollars and milliseconds. */
  record Result(long limitMicros, long spentMicros, long overspendMicros, long boundMicros, long stateStepMicros,
      long estimateErrorMicros, long stateLagMs, long medianStateLagMs, long lagSpendMicros, long maxCostMicros,
      Map<ResponseStatus, Long> statuses, long refusedBeforeAnyCall, double seconds) {

    boolean withinBound() {
      return overspendMicros <= boundMicros;
    }
  }

  private final String bootstrap;
  private final Topics topics;
  private final Path stateDir;
  private final Settings settings;
  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final Map<String, Long> maximumByRequest = new HashMap<>();

  BudgetBoundRun(String bootstrap, String prefix, Path stateDir, Settings settings) {
    this.bootstrap = bootstrap;
    this.topics = new Topics(prefix, Optional.empty());
    this.stateDir = stateDir;
    this.settings = settings;
  }

  Result run() throws Exception {
    List<Topic<?>> wanted = new ArrayList<>(topics.all());
    wanted.add(topics.responses(SERVICE));
    try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Topics.createMissing(admin, wanted, BenchKafka.REPLICATION);
    }
    putBudget();
    List<AutoCloseable> running = new ArrayList<>();
    try (Follower<UsageEvent> usage = new Follower<>(topics.usage().name(), UsageEvent.class);
        Follower<BudgetState> states = new Follower<>(topics.budgetState().name(), BudgetState.class);
        Follower<LlmResponse> responses = new Follower<>(topics.responses(SERVICE).name(), LlmResponse.class)) {
      if (settings.aggregator()) {
        CostAggregatorService aggregator =
            CostAggregatorService.start(CostAggregatorConfig.parse(aggregatorYaml(), Map.of()), Map.of());
        running.add(aggregator);
        Await.until(aggregator::ready, Duration.ofSeconds(60), "the cost aggregator running");
      }
      List<WorkerService> workers = new ArrayList<>();
      for (int i = 1; i <= settings.workers(); i++) {
        WorkerService worker = WorkerService.start(WorkerConfig.parse(workerYaml(i), Map.of()), Map.of());
        running.add(worker);
        workers.add(worker);
      }
      Await.until(() -> workers.stream().allMatch(WorkerService::ready), Duration.ofSeconds(60), "every worker ready");
      long start = System.nanoTime();
      send();
      Await.until(() -> distinct(responses.records()).size() >= settings.requests(), Duration.ofMinutes(5),
          "every request answered");
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, UsageEvent> used = distinct(usage.records());
      long spent = used.values().stream().mapToLong(UsageEvent::getCostMicros).sum();
      long[] lags = {0};
      if (settings.aggregator()) {
        // Every state the aggregator publishes for what was used, so the lag of the last call is measured too.
        Await.until(() -> states.records().stream().anyMatch(r -> r.value().getSpentMicros() >= spent),
            Duration.ofSeconds(60), "the budget state covering all spend");
        lags = stateLags(new ArrayList<>(used.values()), states.timed());
      }
      long lag = lags[lags.length - 1];
      long step = maxStateStep(states.timed());
      long estimateError = used.values().stream()
          .mapToLong(u -> Math.max(0, u.getCostMicros() - maximumByRequest.get(u.getRequestId()))).sum();
      return new Result(settings.limitMicros(), spent, Math.max(0, spent - settings.limitMicros()),
          step + estimateError, step, estimateError, lag, lags[lags.length / 2],
          lag == 0 ? 0 : maxSpendWithin(new ArrayList<>(used.values()), lag),
          used.values().stream().mapToLong(UsageEvent::getCostMicros).max().orElse(0), statuses(responses.records()),
          refused(responses.records()), seconds);
    } finally {
      for (int i = running.size() - 1; i >= 0; i--) {
        running.get(i).close();
      }
    }
  }

  /**
   * The longest time from a call's end to the first state record (as received here, like a
   * worker receives it) whose spend covers every call that ended by then.
   */
  static long stateLagMillis(List<UsageEvent> used, List<Timed<BudgetState>> states) {
    long[] lags = stateLags(used, states);
    return lags.length == 0 ? 0 : lags[lags.length - 1];
  }

  /** Each call's wait for a state record covering it (see {@link #stateLagMillis}), sorted. */
  static long[] stateLags(List<UsageEvent> used, List<Timed<BudgetState>> states) {
    List<UsageEvent> byEnd = new ArrayList<>(used);
    byEnd.sort((a, b) -> Long.compare(a.getOccurredAt(), b.getOccurredAt()));
    long cumulative = 0;
    long[] lags = new long[byEnd.size()];
    for (int i = 0; i < byEnd.size(); i++) {
      UsageEvent u = byEnd.get(i);
      cumulative += u.getCostMicros();
      long covered = cumulative;
      long seenAt = states.stream().filter(s -> s.value().getSpentMicros() >= covered)
          .mapToLong(Timed::receivedAt).min().orElse(Long.MAX_VALUE);
      lags[i] = seenAt - u.getOccurredAt();
    }
    java.util.Arrays.sort(lags);
    return lags;
  }

  /**
   * The most spend the states received in one poll added to those received before (the first
   * poll: to nothing): how far apart two workers following the topic the same way can be, when
   * they are one poll apart. States of one poll carry the same receipt time.
   */
  static long maxStateStep(List<Timed<BudgetState>> states) {
    long before = 0;
    long most = 0;
    for (int i = 0; i < states.size(); i++) {
      long spent = states.get(i).value().getSpentMicros();
      boolean lastOfItsPoll = i + 1 == states.size() || states.get(i + 1).receivedAt() != states.get(i).receivedAt();
      if (lastOfItsPoll) {
        most = Math.max(most, spent - before);
        before = spent;
      }
    }
    return most;
  }

  /** The largest total cost of calls that ended within any window of {@code windowMillis}. */
  static long maxSpendWithin(List<UsageEvent> used, long windowMillis) {
    List<UsageEvent> byEnd = new ArrayList<>(used);
    byEnd.sort((a, b) -> Long.compare(a.getOccurredAt(), b.getOccurredAt()));
    long best = 0;
    long sum = 0;
    int from = 0;
    for (UsageEvent u : byEnd) {
      sum += u.getCostMicros();
      while (byEnd.get(from).getOccurredAt() <= u.getOccurredAt() - windowMillis) {
        sum -= byEnd.get(from++).getCostMicros();
      }
      best = Math.max(best, sum);
    }
    return best;
  }

  private void putBudget() throws Exception {
    Budget budget = Budget.newBuilder().setId(BUDGET).setScope(BudgetScope.newBuilder().setTeam(TEAM).build())
        .setPeriod(BudgetPeriod.DAY).setMode(BudgetMode.HARD).setLimitMicros(settings.limitMicros()).build();
    try (KafkaProducer<String, Budget> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
        serdes.serde(Budget.class).serializer())) {
      producer.send(new ProducerRecord<>(topics.budgets().name(), BUDGET, budget)).get(30, TimeUnit.SECONDS);
    }
  }

  /** All requests at once, spread over every partition by their random ids. */
  private void send() {
    try (KafkaProducer<String, LlmRequest> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
        serdes.serde(LlmRequest.class).serializer())) {
      for (int i = 0; i < settings.requests(); i++) {
        LlmRequest request = RequestBuilder.create(Clock.systemUTC())
            .model(MODEL).team(TEAM).app("bench").replyTo(SERVICE).timeout(Duration.ofMinutes(10))
            .maxTokens(settings.maxTokens()).user("Summarise support ticket #" + i + " in one line.")
            .build().request();
        // As the workers' guard prices it: the prompt's estimate at $1, max_tokens at $2 per million.
        maximumByRequest.put(request.getId(),
            UsageEstimator.promptTokens(request, MODEL) + 2L * settings.maxTokens());
        producer.send(new ProducerRecord<>(topics.requests(io.llmbroker.avro.Priority.STANDARD).name(), request.getId(),
            request));
      }
      producer.flush();
    }
  }

  private Map<String, Object> producerProps() {
    Map<String, Object> props = new HashMap<>();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put("acks", "all");
    return props;
  }

  private String workerYaml(int index) {
    return """
        worker: {id: %sworker-%d}
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 6, replication-factor: 1}
        ops: {host: 127.0.0.1, port: 0}
        intake: {drain-timeout: 5s, commit-interval: 100ms}
        routing:
          providers:
            sim: {type: simulated, latency: {min: %dms, max: %dms}, output-tokens: {min: %d, max: %d}}
          deployments:
            %s: {provider: sim, model: %s, max-concurrency: %d}
          prices:
            %s: {input: "1.00", output: "2.00"}
        """.formatted(topics.prefix(), index, bootstrap, topics.prefix(), settings.minLatency().toMillis(),
        settings.maxLatency().toMillis(), Math.max(1, settings.maxTokens() / 4), settings.maxTokens(), MODEL, MODEL,
        settings.maxConcurrency(), MODEL);
  }

  private String aggregatorYaml() {
    return """
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 6, replication-factor: 1}
        streams: {application-id: "%scost-aggregator", state-dir: "%s", commit-interval: %dms}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(bootstrap, topics.prefix(), topics.prefix(), stateDir, settings.aggregatorCommit().toMillis());
  }

  private static <T> Map<String, T> distinct(List<ConsumerRecord<String, T>> records) {
    Map<String, T> byKey = new LinkedHashMap<>();
    records.forEach(r -> byKey.putIfAbsent(r.key(), r.value()));
    return byKey;
  }

  private static Map<ResponseStatus, Long> statuses(List<ConsumerRecord<String, LlmResponse>> records) {
    Map<ResponseStatus, Long> counts = new EnumMap<>(ResponseStatus.class);
    distinct(records).values().forEach(r -> counts.merge(r.getStatus(), 1L, Long::sum));
    return counts;
  }

  private static long refused(List<ConsumerRecord<String, LlmResponse>> records) {
    return distinct(records).values().stream()
        .filter(r -> r.getStatus() == ResponseStatus.REJECTED && r.getAttempts() == 0).count();
  }

  /** A record and when this process received it. */
  record Timed<T>(T value, long receivedAt) {}

  /** Reads one topic from its beginning on its own thread, keeping every record and when it arrived. */
  private final class Follower<T extends org.apache.avro.specific.SpecificRecord> implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, T>> records = new CopyOnWriteArrayList<>();
    private final List<Timed<T>> timed = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    Follower(String topic, Class<T> type) {
      Map<String, Object> props = new HashMap<>();
      props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      consumer = new KafkaConsumer<>(props, new org.apache.kafka.common.serialization.StringDeserializer(),
          new ByteArrayDeserializer());
      var decoder = serdes.serde(type).deserializer();
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      thread = new Thread(() -> {
        while (!closed) {
          ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(20));
          long now = System.currentTimeMillis();
          for (ConsumerRecord<String, byte[]> r : polled) {
            T value = decoder.deserialize(topic, r.value());
            records.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), value));
            timed.add(new Timed<>(value, now));
          }
        }
        consumer.close(Duration.ofSeconds(2));
      }, "bench-follow-" + topic);
      thread.setDaemon(true);
      thread.start();
    }

    List<ConsumerRecord<String, T>> records() {
      return records;
    }

    List<Timed<T>> timed() {
      return timed;
    }

    @Override
    public void close() throws InterruptedException {
      closed = true;
      thread.join(5_000);
    }
  }
}
