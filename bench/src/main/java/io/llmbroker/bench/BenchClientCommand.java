package io.llmbroker.bench;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.client.batch.BatchCollector;
import io.llmbroker.client.batch.BatchFileValidation;
import io.llmbroker.client.batch.BatchId;
import io.llmbroker.client.batch.BatchOptions;
import io.llmbroker.client.batch.BatchStatus;
import io.llmbroker.client.batch.BatchSubmitter;
import io.llmbroker.client.batch.ProgressListener;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llm-broker bench client}: what the client library costs. Measures the enqueue rate of
 * a batch file, the rate of collecting and writing its results, and the heap held per
 * outstanding request future. Needs a broker but no worker: replies for the collection run are
 * produced directly in the worker's format. Every topic it creates carries a fresh prefix and
 * is deleted at the end.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = "Benchmarks the client: batch enqueue rate, results collection rate, heap per outstanding future.")
public final class BenchClientCommand implements Callable<Integer> {

  /** The enqueue rate the issue asks for, in requests per second. */
  static final double ENQUEUE_TARGET = 20_000;

  @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
      description = "Kafka bootstrap address (default: ${DEFAULT-VALUE}).")
  String bootstrapServers;

  @Spec
  CommandSpec spec;

  @Option(names = "--lines", defaultValue = "100000", description = "Lines of the batch file (default: ${DEFAULT-VALUE}).")
  int lines;

  @Option(names = "--futures", defaultValue = "100000", description = "Outstanding futures for the heap figure (default: ${DEFAULT-VALUE}).")
  int futures;

  @Option(names = "--partitions", defaultValue = "6", description = "Partitions of the topics created (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--heap-lines", defaultValue = "1000000",
      description = "Lines submitted while the submitter's heap is sampled, from a file and from code; 0 skips it (default: ${DEFAULT-VALUE}).")
  int heapLines;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    String prefix = "bench-client-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    ClientConfig base = ClientConfig.of(bootstrapServers, "bench-client").withTopicPrefix(prefix);
    Topics topics = new Topics(prefix, Optional.of(partitions));
    Path work = Files.createTempDirectory("llm-broker-bench-client");
    try (Admin admin = Admin.create(base.kafkaProperties())) {
      Topics.createMissing(admin, List.copyOf(topics.requestTopics()), (short) 1);
      Instant date = Instant.now();
      Figures enqueue = enqueue(base, work);
      double collectRate = collect(base, topics, work, enqueue.batchId());
      double bytesPerFuture = heapPerFuture(base);
      Optional<HeapFigures> heap = heapLines > 0 ? Optional.of(submitterHeap(base, work)) : Optional.empty();
      report(out, date, enqueue, collectRate, bytesPerFuture, heap);
      deleteTopics(admin, prefix);
    } finally {
      deleteTree(work);
    }
    return 0;
  }

  private record Figures(BatchId batchId, double validatePerSecond, double enqueuePerSecond, long fileBytes) {}

  private Figures enqueue(ClientConfig base, Path work) throws IOException {
    Path file = writeBatchFile(work.resolve("batch.jsonl"), lines);
    BatchId id = new BatchId("bench-" + UUID.randomUUID().toString().substring(0, 8));
    long t0 = System.nanoTime();
    BatchFileValidation validation = BatchFileValidation.validate(file, true, ProgressListener.NONE);
    long t1 = System.nanoTime();
    BatchOptions options = new BatchOptions(id, "bench", "bench", Priority.BATCH, null, null, work.resolve("state"));
    long t2;
    long t3;
    try (BatchSubmitter submitter = BatchSubmitter.open(base.withService(id.replyService()), options)) {
      t2 = System.nanoTime();
      submitter.submitFile(validation, false, ProgressListener.NONE);
      t3 = System.nanoTime();
    }
    return new Figures(id, lines / seconds(t1 - t0), lines / seconds(t3 - t2), Files.size(file));
  }

  private static Path writeBatchFile(Path file, int count) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 1; i <= count; i++) {
        w.write("{\"custom_id\":\"req-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"fast\","
            + "\"messages\":[{\"role\":\"system\",\"content\":\"You are a careful assistant. Answer in one sentence.\"},"
            + "{\"role\":\"user\",\"content\":\"Summarise support ticket number " + i
            + ": the customer reports that the invoice PDF does not open on their phone.\"}],\"max_tokens\":100}}");
        w.newLine();
      }
    }
    return file;
  }

  /**
   * Heap in use after a full GC, sampled at every tenth of the lines while one submitter sends
   * them: first / last / highest sample.
   */
  private record HeapSamples(long first, long last, long max) {
    double growthPerLine(long count) {
      return (last - first) / (double) (count - count / 10);
    }
  }

  private record HeapFigures(long fileBytes, HeapSamples file, HeapSamples code) {}

  /** Samples the heap while {@code heapLines} lines are submitted, once from a file and once through {@code add}. */
  private HeapFigures submitterHeap(ClientConfig base, Path work) throws IOException {
    Path file = writeBatchFile(work.resolve("heap.jsonl"), heapLines);
    long fileBytes = Files.size(file);
    BatchFileValidation validation = BatchFileValidation.validate(file, true, ProgressListener.NONE);
    HeapSampler fromFile = new HeapSampler(heapLines);
    BatchId fileBatch = new BatchId("bench-heap-file-" + UUID.randomUUID().toString().substring(0, 8));
    try (BatchSubmitter submitter = BatchSubmitter.open(base.withService(fileBatch.replyService()),
        new BatchOptions(fileBatch, "bench", "bench", Priority.BATCH, null, null, work.resolve("state")))) {
      submitter.submitFile(validation, false, (done, total) -> fromFile.at(done));
    }
    Files.delete(file);
    HeapSampler fromCode = new HeapSampler(heapLines);
    BatchId codeBatch = new BatchId("bench-heap-code-" + UUID.randomUUID().toString().substring(0, 8));
    try (BatchSubmitter submitter = BatchSubmitter.open(base.withService(codeBatch.replyService()),
        new BatchOptions(codeBatch, "bench", "bench", Priority.BATCH, "fast", null, work.resolve("state")))) {
      for (int i = 1; i <= heapLines; i++) {
        String text = "Summarise support ticket number " + i + ": the customer reports that the invoice PDF does not open on their phone.";
        submitter.add("req-" + i, r -> r.system("You are a careful assistant. Answer in one sentence.").user(text).maxTokens(100));
        fromCode.at(i);
      }
    }
    return new HeapFigures(fileBytes, fromFile.samples(), fromCode.samples());
  }

  /** Takes a heap sample each time the line count crosses the next tenth of the total. */
  private static final class HeapSampler {
    private final long total;
    private long next;
    private long first = -1;
    private long last;
    private long max;

    HeapSampler(long total) {
      this.total = total;
      this.next = Math.max(1, total / 10);
    }

    void at(long done) {
      if (done < next) {
        return;
      }
      next = done >= total ? Long.MAX_VALUE : done + Math.max(1, total / 10);
      long used = usedHeapAfterGc();
      first = first < 0 ? used : first;
      last = used;
      max = Math.max(max, used);
    }

    HeapSamples samples() {
      return new HeapSamples(first, last, max);
    }
  }

  private double collect(ClientConfig base, Topics topics, Path work, BatchId id) throws IOException {
    Map<String, Object> props = base.kafkaProperties();
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    String topic = topics.responses(id.replyService()).name();
    try (KafkaProducer<String, LlmResponse> producer = new KafkaProducer<>(props, new StringSerializer(),
        AvroSerdes.fromConfig(props).serde(LlmResponse.class).serializer())) {
      long now = System.currentTimeMillis();
      for (int i = 1; i <= lines; i++) {
        String requestId = id.requestId(i, "req-" + i);
        producer.send(new ProducerRecord<>(topic, requestId, LlmResponse.newBuilder()
            .setRequestId(requestId).setStatus(ResponseStatus.OK).setPriority(Priority.BATCH)
            .setProvider("sim").setModel("sim-fast-1").setContent("The invoice PDF fails to open on the customer's phone.")
            .setFinishReason("stop").setUsage(TokenUsage.newBuilder().setInputTokens(40).setOutputTokens(12).build())
            .setCostMicros(13).setTimings(Timings.newBuilder().setReceivedAt(now).build()).setAttempts(1)
            .setBatchId(id.value()).setCustomId("req-" + i).setCompletedAt(now).build()));
      }
    }
    long t0 = System.nanoTime();
    try (BatchCollector collector = BatchCollector.open(base.withService(id.replyService()), id, work.resolve("state"))) {
      BatchStatus status = collector.collect(ProgressListener.NONE);
      collector.writeResults(work.resolve("out.jsonl"), work.resolve("out.errors.jsonl"), ProgressListener.NONE);
      if (!status.complete()) {
        throw new IllegalStateException("collected " + status.done() + " of " + lines + " results");
      }
    }
    return lines / seconds(System.nanoTime() - t0);
  }

  private double heapPerFuture(ClientConfig base) throws Exception {
    try (LlmBrokerClient broker = LlmBrokerClient.create(base.withService("bench-heap").withDefaultTimeout(Duration.ofMinutes(30)))) {
      broker.ready().get(60, TimeUnit.SECONDS);
      // Warm the send path first so class loading and producer buffers are not counted per future.
      broker.request().model("fast").team("bench").app("bench").user("warm-up").submit();
      long before = usedHeapAfterGc();
      CompletableFuture<?>[] held = new CompletableFuture<?>[futures];
      for (int i = 0; i < futures; i++) {
        held[i] = broker.request().model("fast").team("bench").app("bench").user("question " + i).submit();
      }
      long after = usedHeapAfterGc();
      if (broker.pendingCount() < futures) {
        throw new IllegalStateException("only " + broker.pendingCount() + " of " + futures + " futures outstanding");
      }
      return (after - before) / (double) futures;
    }
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private void report(PrintWriter out, Instant date, Figures f, double collectRate, double bytesPerFuture, Optional<HeapFigures> heap) {
    Runtime rt = Runtime.getRuntime();
    out.println("### Client library (`llm-broker bench client`)");
    out.println();
    out.printf("Date: %s. Machine: %d cores, %s %s, max heap %d MB. Broker: %s (%d partitions per topic).%n",
        date, rt.availableProcessors(), System.getProperty("java.vm.name"), System.getProperty("java.version"),
        rt.maxMemory() / (1024 * 1024), bootstrapServers, partitions);
    out.println();
    out.println("| what | how | figure | target |");
    out.println("|---|---|---|---|");
    out.printf("| batch validation | %,d-line OpenAI Batch file (%,d bytes), whole-file check incl. duplicate custom_ids | %,.0f lines/s | - |%n",
        lines, f.fileBytes(), f.validatePerSecond());
    out.printf("| batch enqueue | same file, `BatchSubmitter.submitFile`, acks=all, idempotent, lz4 | %,.0f requests/s | >= %,.0f requests/s (%s) |%n",
        f.enqueuePerSecond(), ENQUEUE_TARGET, f.enqueuePerSecond() >= ENQUEUE_TARGET ? "met" : "NOT met");
    out.printf("| results collection | %,d replies read from the batch topic, spooled to disk, written as output JSONL in input order | %,.0f results/s | - |%n",
        lines, collectRate);
    out.printf("| client heap | %,d outstanding `submit` futures (no worker answering), heap after GC | %,.0f bytes per future (%,.1f MB total) | - |%n",
        futures, bytesPerFuture, bytesPerFuture * futures / (1024 * 1024));
    heap.ifPresent(h -> {
      heapRow(out, String.format("%,d-line file (%,d bytes), `submitFile`", heapLines, h.fileBytes()), h.file());
      heapRow(out, String.format("%,d lines built in code, `add`", heapLines), h.code());
    });
    out.flush();
  }

  private void heapRow(PrintWriter out, String what, HeapSamples s) {
    out.printf("| submitter heap | %s; heap in use after a full GC at every tenth of the lines, producer's `buffer.memory` 32 MB included"
        + " | %.1f MB at 10 %%, %.1f MB at 100 %%, highest %.1f MB (%+.1f bytes per line) | no growth per line |%n",
        what, s.first() / 1048576.0, s.last() / 1048576.0, s.max() / 1048576.0, s.growthPerLine(heapLines));
  }

  private static void deleteTopics(Admin admin, String prefix) throws Exception {
    Set<String> mine = admin.listTopics().names().get().stream().filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
    admin.deleteTopics(mine).all().get(60, TimeUnit.SECONDS);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
