package io.llmbroker.bench;

import io.llmbroker.avro.App;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.gateway.GatewayService;
import io.llmbroker.gateway.config.GatewayConfig;
import io.llmbroker.gateway.keys.VirtualKeyTokens;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.worker.WorkerService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench gateway}: what the OpenAI-compatible HTTP hop adds over the client path, and how
 * many requests per second one gateway instance carries, with a zero-latency simulated provider.
 * One worker, the client and the gateway run in this JVM against a real broker; HTTP goes over
 * loopback with the JDK's client.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = {"Added latency of the gateway's HTTP hop over the client path at a fixed rate, then requests/s through"
        + " one gateway instance with many calls in flight (zero-latency provider)."})
final class GatewayBench implements Callable<Integer> {

  // The app is registered, so workers answer it only on reply topics named after it (intake.reply-to-registered).
  private static final String APP = "bench";
  private static final String CLIENT_SERVICE = "bench-client";
  private static final String GATEWAY_SERVICE = "bench-gateway";
  private static final long TARGET_ADDED_P50_MICROS = 1_000;
  private static final Duration REPLY_GRACE = Duration.ofSeconds(30);
  private static final String BODY = "{\"model\": \"" + BenchWorkers.MODEL + "\", \"messages\": [{\"role\": \"user\", "
      + "\"content\": \"Say hello.\"}]}";

  @Mixin
  BenchOptions options;

  @Option(names = "--rate", defaultValue = "200", description = "Requests per second of the latency phases (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--seconds", defaultValue = "30", description = "Measured seconds of each phase (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "10", description = "Unmeasured seconds before each phase (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--in-flight", defaultValue = "64",
      description = "Concurrent HTTP calls of the throughput phase (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Override
  public Integer call() throws Exception {
    if (seconds < 1 || warmupSeconds < 0 || inFlight < 1) {
      throw new IllegalArgumentException("--seconds and --in-flight must be >= 1, --warmup-seconds >= 0: " + seconds + ", "
          + inFlight + ", " + warmupSeconds);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    Phase client;
    Phase http;
    Throughput throughput;
    String broker;
    try (BenchKafka kafka = BenchKafka.open(options, "gateway")) {
      broker = kafka.describeBroker();
      Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
      kafka.createTopics(topics, CLIENT_SERVICE, GATEWAY_SERVICE);
      String token = registerApp(kafka, topics);
      BenchWorkers workers = BenchWorkers.simulated(kafka.bootstrapServers(), topics.prefix(), Duration.ZERO, 256);
      GatewayConfig gatewayConfig = GatewayConfig.parse("""
          kafka: {bootstrap.servers: "%s"}
          topics: {prefix: "%s"}
          ops: {host: 127.0.0.1, port: 0}
          gateway: {service: %s, default-timeout: 30s}
          """.formatted(kafka.bootstrapServers(), topics.prefix(), GATEWAY_SERVICE), Map.of());
      ClientConfig clientConfig = ClientConfig.of(kafka.bootstrapServers(), CLIENT_SERVICE).withTopicPrefix(topics.prefix())
          .withDefaultTimeout(REPLY_GRACE);
      try (WorkerService worker = workers.start(System.getenv());
          LlmBrokerClient brokerClient = LlmBrokerClient.create(clientConfig);
          GatewayService gateway = GatewayService.start(gatewayConfig, Clock.systemUTC())) {
        brokerClient.ready().get(60, TimeUnit.SECONDS);
        Await.until(() -> worker.ready() && gateway.ready(), Duration.ofSeconds(60), "the worker and the gateway");
        HttpClient httpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions");
        Function<Long, CompletableFuture<Boolean>> viaClient = i -> brokerClient.request().model(BenchWorkers.MODEL)
            .team("bench").app(APP).priority(Priority.INTERACTIVE).user("Say hello.").submit()
            .thenApply(r -> r.getStatus() == ResponseStatus.OK);
        Function<Long, CompletableFuture<Boolean>> viaHttp = i -> httpClient.sendAsync(post(uri, token),
            HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> r.statusCode() == 200);
        System.err.printf("Both paths, alternating, at %.0f requests/s: %d s warm-up, %d s measured...%n", rate, warmupSeconds,
            seconds);
        Phase[] phases = interleaved(viaClient, viaHttp);
        client = phases[0];
        http = phases[1];
        System.err.printf("Throughput with %d calls in flight: %d s warm-up, %d s measured...%n", inFlight, warmupSeconds, seconds);
        closedLoop(viaHttp, Duration.ofSeconds(warmupSeconds));
        throughput = closedLoop(viaHttp, Duration.ofSeconds(seconds));
      }
    }
    options.publish(result(machine, date, broker, client, http, throughput), System.out);
    return 0;
  }

  private static HttpRequest post(URI uri, String token) {
    return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .header("X-LLM-Priority", "interactive").POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
  }

  /** Registers an app allowed any model at interactive priority, with one key; returns its token. */
  private static String registerApp(BenchKafka kafka, Topics topics) throws Exception {
    Topics.createMissing(kafka.admin(), List.of(topics.apps()), BenchKafka.REPLICATION);
    VirtualKeyTokens.NewKey key = VirtualKeyTokens.create(APP, null, Priority.INTERACTIVE, null, System.currentTimeMillis());
    App app = App.newBuilder().setId(APP).setTeam("bench").setModels(List.of("*")).setVirtualKeys(List.of(key.key())).build();
    try (KafkaProducer<String, App> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        new StringSerializer(), AvroSerdes.singleObject().serde(App.class).serializer())) {
      producer.send(new ProducerRecord<>(topics.apps().name(), app.getId(), app)).get(30, TimeUnit.SECONDS);
    }
    return key.token();
  }

  /**
   * Latencies from due time to answer at the fixed rate, of calls due after the warm-up; calls
   * alternate between the two paths, so both see the same load on the machine.
   */
  private Phase[] interleaved(Function<Long, CompletableFuture<Boolean>> first, Function<Long, CompletableFuture<Boolean>> second) {
    Recorder[] latency = {new Recorder(3), new Recorder(3)};
    AtomicLong[] failed = {new AtomicLong(), new AtomicLong()};
    long warmupSends = Math.round(warmupSeconds * rate);
    List<CompletableFuture<Boolean>> measured = Collections.synchronizedList(new ArrayList<>());
    long sent = OpenLoop.atRate(rate).run(Duration.ofSeconds(warmupSeconds + seconds), (i, due) -> {
      int path = (int) (i % 2);
      CompletableFuture<Boolean> answer = (path == 0 ? first : second).apply(i);
      if (i >= warmupSends) {
        measured.add(answer.whenComplete((ok, e) -> {
          if (e == null && ok) {
            latency[path].recordValue(Math.max(0, (System.nanoTime() - due) / 1000));
          } else {
            failed[path].incrementAndGet();
          }
        }));
      }
    });
    awaitAll(measured);
    long unanswered = measured.stream().filter(f -> !f.isDone()).count();
    long each = (sent - warmupSends) / 2;
    return new Phase[] {new Phase(each, latency[0].getIntervalHistogram(), failed[0].get() + unanswered),
        new Phase(each, latency[1].getIntervalHistogram(), failed[1].get())};
  }

  /** Keeps {@code inFlight} calls going for {@code duration}; counts the answers. */
  private Throughput closedLoop(Function<Long, CompletableFuture<Boolean>> call, Duration duration) throws InterruptedException {
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < inFlight; i++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loops.add(done);
      next(call, running, ok, failed, done);
    }
    TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    running.set(false);
    long elapsed = System.nanoTime() - start;
    long answered = ok.get();
    awaitAll(loops);
    return new Throughput(answered * 1e9 / elapsed, failed.get());
  }

  private static void next(Function<Long, CompletableFuture<Boolean>> call, AtomicBoolean running, AtomicLong ok,
      AtomicLong failed, CompletableFuture<Void> done) {
    if (!running.get()) {
      done.complete(null);
      return;
    }
    call.apply(0L).whenComplete((success, e) -> {
      if (e == null && success) {
        ok.incrementAndGet();
      } else {
        failed.incrementAndGet();
      }
      next(call, running, ok, failed, done);
    });
  }

  private static void awaitAll(List<? extends CompletableFuture<?>> futures) {
    try {
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(REPLY_GRACE.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Failures and missing answers are counted per call; the figures say how many.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, Phase client, Phase http, Throughput t) {
    long added = http.latency().getValueAtPercentile(50) - client.latency().getValueAtPercentile(50);
    boolean met = client.failed() == 0 && http.failed() == 0 && http.latency().getTotalCount() > 0
        && added <= TARGET_ADDED_P50_MICROS;
    return new ResultBlock("The gateway's HTTP hop")
        .what("The latency the OpenAI-compatible HTTP hop adds over the Kafka client path, and the requests per second one"
            + " gateway instance carries, with a zero-latency simulated provider.")
        .how(String.format(Locale.ROOT, "One open loop at %.0f requests/s (each call timed from when it was due;"
            + " %d s warm-up excluded, %d s measured) alternating between the client library's submit() and POST"
            + " /v1/chat/completions with the JDK HttpClient (HTTP/1.1, loopback) through the gateway, which itself uses the"
            + " client library, so both paths see the same load. Then a"
            + " closed loop of %d concurrent HTTP calls for %d s. Interactive priority; one worker, the client and the"
            + " gateway in one JVM on a %s; HdrHistogram.", rate, warmupSeconds, seconds, inFlight, seconds, broker))
        .command("llm-broker bench gateway --rate " + ResultBlock.number(rate) + " --seconds " + seconds
            + " --warmup-seconds " + warmupSeconds + " --in-flight " + inFlight)
        .ranOn(machine, date)
        .target("the HTTP hop adds ≤ 1 ms at the median; no failed call")
        .anchor("LiteLLM publishes p50 12 ms, p99 43 ms at about 1,000 requests/s on 8 CPUs; TensorZero p99 0.94 ms at"
            + " 10,000 requests/s on 4 CPUs (a synchronous proxy, no queue behind it).")
        .columns("client path", "through the gateway")
        .figure("calls measured", String.format(Locale.ROOT, "%,d", client.sent()), String.format(Locale.ROOT, "%,d", http.sent()))
        .figure("failed or unanswered", Long.toString(client.failed()), Long.toString(http.failed()))
        .figure("p50", ResultBlock.millis(client.latency().getValueAtPercentile(50)), ResultBlock.millis(http.latency().getValueAtPercentile(50)))
        .figure("p90", ResultBlock.millis(client.latency().getValueAtPercentile(90)), ResultBlock.millis(http.latency().getValueAtPercentile(90)))
        .figure("p99", ResultBlock.millis(client.latency().getValueAtPercentile(99)), ResultBlock.millis(http.latency().getValueAtPercentile(99)))
        .figure("max", ResultBlock.millis(client.latency().getMaxValue()), ResultBlock.millis(http.latency().getMaxValue()))
        .figure("added by the HTTP hop at the median", "", ResultBlock.millis(Math.max(0, added)))
        .figure("requests/s through one gateway, " + inFlight + " in flight", "", String.format(Locale.ROOT, "%,.0f (%d failed)",
            t.perSecond(), t.failed()))
        .verdict(met, "the HTTP hop adds " + ResultBlock.millis(added) + " at the median" + (met ? " ≤" : ", target") + " 1 ms");
  }

  private record Phase(long sent, Histogram latency, long failed) {}

  private record Throughput(double perSecond, long failed) {}
}
