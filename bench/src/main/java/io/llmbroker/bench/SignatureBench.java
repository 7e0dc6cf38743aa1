package io.llmbroker.bench;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.client.RequestSigner;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.schemas.signing.RequestSigning;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench signatures}: what verifying Ed25519 request signatures costs one worker. Two
 * runs of the throughput benchmark on fresh topics: unsigned requests and an empty registry,
 * then requests signed by the app's key and {@code intake.require-signature: true}. Also times
 * the verification alone on one thread.
 */
@Command(name = "signatures", mixinStandardHelpOptions = true,
    description = {"Throughput of one worker with and without signature verification (zero-latency simulated provider)."})
final class SignatureBench implements Callable<Integer> {

  /** The runs are counted by the throughput benchmark, on its reply topic. */
  private static final String SERVICE = ThroughputBench.SERVICE;
  private static final String APP = "bench";
  private static final int VERIFY_LOOPS = 20_000;

  @Mixin
  BenchOptions options;

  @Option(names = "--requests", defaultValue = "50000", description = "Requests per run (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--max-concurrency", defaultValue = "64",
      description = "Cap of the simulated deployment (default: ${DEFAULT-VALUE}).")
  int maxConcurrency;

  @Override
  public Integer call() throws Exception {
    if (requests < 2) {
      throw new IllegalArgumentException("--requests must be >= 2: " + requests);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    KeyPair key = RequestSigning.generateKeyPair();
    RequestSigner signer = new RequestSigner(RequestSigning.keyId(key.getPublic()), key.getPrivate());
    double verifyMicros = verifyMicros(signer, key);
    String broker;
    ThroughputBench.Run unsigned;
    ThroughputBench.Run signed;
    try (BenchKafka kafka = BenchKafka.open(options, "signatures")) {
      broker = kafka.describeBroker();
      unsigned = run(kafka, Optional.empty(), key);
      signed = run(kafka, Optional.of(signer), key);
    }
    options.publish(result(machine, date, broker, unsigned, signed, verifyMicros), System.out);
    return 0;
  }

  /** One run on fresh topics: signed requests and a worker that requires signatures when {@code signer} is given. */
  private ThroughputBench.Run run(BenchKafka kafka, Optional<RequestSigner> signer, KeyPair key) throws Exception {
    Topics topics = new Topics(kafka.newPrefix(), Optional.empty());
    kafka.createTopics(topics, SERVICE);
    BenchWorkers config = BenchWorkers.simulated(kafka.bootstrapServers(), topics.prefix(), Duration.ZERO, maxConcurrency);
    if (signer.isPresent()) {
      register(kafka.bootstrapServers(), topics, signer.get().keyId(), key);
      config = config.withRequireSignature();
    }
    try (Preloader preloader = new Preloader(kafka.bootstrapServers(), Clock.systemUTC())) {
      preloader.send(topics, Priority.STANDARD, SERVICE, APP, requests, signer);
    }
    return ThroughputBench.answer(kafka, topics, config, requests);
  }

  /** Writes the app the preloaded requests name, with the public key of their signer. */
  private static void register(String bootstrap, Topics topics, String keyId, KeyPair key) throws Exception {
    Map<String, Object> props = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(props)) {
      Topics.createMissing(admin, List.of(topics.apps()), BenchKafka.REPLICATION);
    }
    App app = App.newBuilder().setId(APP).setTeam(APP).setModels(List.of("*"))
        .setKeys(List.of(AppKey.newBuilder().setId(keyId).setPublicKey(ByteBuffer.wrap(key.getPublic().getEncoded())).build()))
        .build();
    byte[] value = AvroSerdes.singleObject().serde(App.class).serializer().serialize(topics.apps().name(), app);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topics.apps().name(), APP.getBytes(StandardCharsets.UTF_8), value))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** Microseconds per verification of one signed request on one thread, after a warm-up. */
  private static double verifyMicros(RequestSigner signer, KeyPair key) {
    String topic = "llm.requests.standard";
    LlmRequest request = signer.sign(LlmRequest.newBuilder().setId("r").setTeam(APP).setApp(APP).setModel("m")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user").build())).setReplyTo("s")
        .setCreatedAt(System.currentTimeMillis()).build(), topic);
    int verified = 0;
    for (int i = 0; i < VERIFY_LOOPS / 4; i++) {
      verified += RequestSigning.verify(request, topic, key.getPublic()) ? 1 : 0;
    }
    long start = System.nanoTime();
    for (int i = 0; i < VERIFY_LOOPS; i++) {
      verified += RequestSigning.verify(request, topic, key.getPublic()) ? 1 : 0;
    }
    long nanos = System.nanoTime() - start;
    if (verified != VERIFY_LOOPS + VERIFY_LOOPS / 4) {
      throw new IllegalStateException("a valid signature did not verify");
    }
    return nanos / 1e3 / VERIFY_LOOPS;
  }

  private ResultBlock result(Machine machine, ZonedDateTime date, String broker, ThroughputBench.Run unsigned,
      ThroughputBench.Run signed, double verifyMicros) {
    double plainRate = unsigned.rate();
    double signedRate = signed.rate();
    boolean complete = unsigned.answered() >= requests && signed.answered() >= requests
        && unsigned.notOk() == 0 && signed.notOk() == 0;
    double cost = plainRate > 0 ? (plainRate - signedRate) / plainRate * 100 : 0;
    return new ResultBlock("Cost of signature verification")
        .what("Requests answered per second by one worker, end to end, without signatures and with every request signed"
            + " (Ed25519) and intake.require-signature: true; and one verification alone.")
        .how(String.format(Locale.ROOT, "Twice: %,d standard-priority requests enqueued first on fresh topics (the second"
            + " time signed by the app's key, the app registered on llm.apps), then one worker started in this JVM"
            + " (deployment cap %d, zero-latency simulated provider) on a %s, 6 partitions; rate = answers between the first"
            + " and the last response / time between them. Verification alone: %,d verifications of one request on one"
            + " thread after a warm-up.", requests, maxConcurrency, broker, VERIFY_LOOPS))
        .command("llm-broker bench signatures --requests " + requests + " --max-concurrency " + maxConcurrency)
        .ranOn(machine, date)
        .target("every request answered OK in both runs; the cost is reported, not judged")
        .figure("unsigned: answered, statuses", unsigned.answered() + ", " + unsigned.statuses())
        .figure("signed: answered, statuses", signed.answered() + ", " + signed.statuses())
        .figure("throughput without verification", ResultBlock.rate(plainRate))
        .figure("throughput with verification", ResultBlock.rate(signedRate))
        .figure("difference", String.format(Locale.ROOT, "%.1f %%", cost))
        .figure("one verification, one thread", String.format(Locale.ROOT, "%.1f µs", verifyMicros))
        .verdict(complete, complete ? "every request answered OK in both runs; verification costs "
            + String.format(Locale.ROOT, "%.1f %%", cost) + " of throughput" : "not every request was answered OK");
  }
}
