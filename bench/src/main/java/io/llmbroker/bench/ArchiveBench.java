package io.llmbroker.bench;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.audit.AuditArchiverService;
import io.llmbroker.audit.archive.ArchivedRecord;
import io.llmbroker.audit.archive.ParquetParts;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.config.RedactionSettings;
import io.llmbroker.audit.redaction.PersonalData;
import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench archive}: the audit archive's size against JSON lines of the same records, the
 * Parquet writer's rate, what redaction costs, and the archiver end to end on the broker (records
 * preloaded into {@code llm.audit}, then the time until all of them are in the archive).
 */
@Command(name = "archive", mixinStandardHelpOptions = true,
    description = {"Audit archive: size vs JSON lines, records/s (writer alone and archiver end to end), redaction cost."})
final class ArchiveBench implements Callable<Integer> {

  private static final int PARTITIONS = 6;
  private static final int FILE_RECORDS = 20_000;

  @Mixin
  BenchOptions options;

  @Option(names = "--records", defaultValue = "100000", description = "Audit records (default: ${DEFAULT-VALUE}).")
  int records;

  @Override
  public Integer call() throws Exception {
    if (records < FILE_RECORDS) {
      throw new IllegalArgumentException("--records must be >= " + FILE_RECORDS + ": " + records);
    }
    Machine machine = Machine.current();
    ZonedDateTime date = ZonedDateTime.now();
    List<AuditRecord> calls = Traffic.generate(records, new Random(42));
    Path work = Files.createTempDirectory("bench-archive");
    try {
      long jsonBytes = writeJsonLines(calls, work.resolve("calls.jsonl"));
      PersonalData redaction = new PersonalData(new RedactionSettings(null, null, null, null, null));
      // Warm-up: the JIT and DuckDB's first load.
      writeParquet(calls.subList(0, FILE_RECORDS), work.resolve("warm"));
      for (AuditRecord r : calls.subList(0, FILE_RECORDS)) {
        redaction.redact(r);
      }
      long start = System.nanoTime();
      long parquetBytes = writeParquet(calls, work.resolve("plain"));
      double writerSeconds = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      List<AuditRecord> redacted = calls.stream().map(redaction::redact).toList();
      double redactSeconds = (System.nanoTime() - start) / 1e9;
      double endToEnd;
      String broker;
      try (BenchKafka kafka = BenchKafka.open(options, "archive")) {
        broker = kafka.describeBroker();
        endToEnd = endToEnd(kafka, calls, work);
      }
      double ratio = (double) parquetBytes / jsonBytes;
      double writerRate = records / writerSeconds;
      double redactRate = records / redactSeconds;
      double redactShare = redactSeconds / (redactSeconds + writerSeconds);
      boolean met = ratio <= 0.25 && endToEnd >= 20_000;
      ResultBlock block = new ResultBlock("Audit archive: size, rate, redaction")
          .command("llm-broker bench archive --records " + records)
          .what("The audit archive's Parquet files (DuckDB writer, zstd) against JSON lines of the same records; "
              + "records/s of the writer alone and of the archiver end to end; the cost of personal-data redaction.")
          .how(records + " generated audit records (varied prompts and answers with e-mails and phone numbers, "
              + "tags, attempts, timings; fixed seed). Size: Parquet files of " + FILE_RECORDS + " records each vs "
              + "one JSON object per line (Avro's JSON of the record). Writer: the archiver's ParquetParts over "
              + "all records. Redaction: PersonalData over all records, all rules on. End to end: records "
              + "preloaded into llm.audit (" + PARTITIONS + " partitions), one archiver started with roll-size 64 MiB "
              + "and roll-interval 5s, timed from start until the archive counts them all. Broker: " + broker + ".")
          .target("archive ≤ 25 % of JSON lines; ≥ 20,000 records/s")
          .anchor("issue 10")
          .ranOn(machine, date)
          .figure("JSON lines", mib(jsonBytes))
          .figure("Parquet archive", mib(parquetBytes))
          .figure("Parquet / JSON lines", String.format("%.1f %%", ratio * 100))
          .figure("writer alone", perSecond(writerRate))
          .figure("archiver end to end (broker → files, incl. start-up)", perSecond(endToEnd))
          .figure("redaction alone", perSecond(redactRate))
          .figure("redaction's share of redact + write", String.format("%.0f %%", redactShare * 100))
          .verdict(met, String.format("%.1f %% of JSON lines, %s end to end", ratio * 100, perSecond(endToEnd)));
      if (redacted.isEmpty()) {
        throw new IllegalStateException("nothing redacted");
      }
      options.publish(block, System.out);
      return 0;
    } finally {
      try (Stream<Path> all = Files.walk(work)) {
        all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%,.1f MiB", bytes / (1024.0 * 1024));
  }

  private static String perSecond(double rate) {
    return String.format(java.util.Locale.ROOT, "%,.0f records/s", rate);
  }

  private static long writeJsonLines(List<AuditRecord> calls, Path file) throws Exception {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (AuditRecord r : calls) {
        out.write(r.toString());
        out.write('\n');
      }
    }
    return Files.size(file);
  }

  private static long writeParquet(List<AuditRecord> calls, Path folder) throws Exception {
    Files.createDirectories(folder);
    ParquetParts parquet = new ParquetParts();
    long bytes = 0;
    for (int from = 0; from < calls.size(); from += FILE_RECORDS) {
      List<ArchivedRecord> part = new ArrayList<>();
      for (int i = from; i < Math.min(calls.size(), from + FILE_RECORDS); i++) {
        part.add(new ArchivedRecord(i, calls.get(i)));
      }
      Path file = folder.resolve("part-" + from + ".parquet");
      parquet.write(0, part, file);
      bytes += Files.size(file);
    }
    return bytes;
  }

  /** Records per second from the archiver's start until every preloaded record is archived. */
  private static double endToEnd(BenchKafka kafka, List<AuditRecord> calls, Path work) throws Exception {
    Topics topics = new Topics(kafka.newPrefix(), Optional.of(PARTITIONS));
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Topics.createMissing(admin, List.of(topics.audit(), topics.dlq()), BenchKafka.REPLICATION);
    }
    try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers(),
        "linger.ms", 20, "compression.type", "lz4"), new StringSerializer(),
        AvroSerdes.singleObject().serde(AuditRecord.class).serializer())) {
      for (AuditRecord r : calls) {
        producer.send(new ProducerRecord<>(topics.audit().name(), r.getRequestId(), r));
      }
      producer.flush();
    }
    Path archive = work.resolve("archive");
    AuditArchiverConfig config = AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: %d, replication-factor: 1}
        streams: {application-id: "%sarchiver", state-dir: "%s", commit-interval: 1s}
        archive: {dir: "%s", roll-interval: 5s}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(kafka.bootstrapServers(), topics.prefix(), PARTITIONS, topics.prefix(), work.resolve("state"),
        archive), Map.of());
    long start = System.nanoTime();
    try (AuditArchiverService service = AuditArchiverService.start(config, Map.of())) {
      // The archiver's own counter: asking the archive itself every 50 ms would compete with it.
      OpsEndpoint ops = new OpsEndpoint(service.port());
      Await.until(() -> ops.metric("llm_audit_archived_records_total").orElse(0) >= calls.size(), Duration.ofMinutes(15),
          "every record archived");
      double rate = calls.size() / ((System.nanoTime() - start) / 1e9);
      if (AuditArchive.count(archive) != calls.size()) {
        throw new IllegalStateException("the archive holds " + AuditArchive.count(archive) + " records, not " + calls.size());
      }
      return rate;
    }
  }

  /** Generated traffic: what a gateway's audit log holds, varied enough that compression is honest. */
  static final class Traffic {

    private static final String[] TEAMS = {"search", "support", "checkout", "analytics", "legal"};
    private static final String[] MODELS = {"fast", "smart", "cheap", "vision"};
    private static final String[] WORDS = ("the a order refund delivery account password invoice product price "
        + "shipping customer please help summarise translate explain error code report quarterly revenue growth "
        + "market risk contract clause term payment late fee subscription plan upgrade cancel review rating "
        + "feature request bug crash login email phone address city country weather today tomorrow meeting "
        + "schedule table chart data query model answer question context document page section").split(" ");

    static List<AuditRecord> generate(int n, Random random) {
      List<AuditRecord> out = new ArrayList<>(n);
      long t0 = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
      for (int i = 0; i < n; i++) {
        String id = "req-" + Long.toHexString(random.nextLong());
        long created = t0 + i * 40L;
        String team = TEAMS[random.nextInt(TEAMS.length)];
        String model = MODELS[random.nextInt(MODELS.length)];
        String prompt = sentence(random, 20 + random.nextInt(120))
            + (random.nextInt(10) == 0 ? " Reach me at user" + random.nextInt(10_000) + "@example.com" : "")
            + (random.nextInt(20) == 0 ? " or call +44 20 7946 " + (1000 + random.nextInt(9000)) : "");
        String answer = sentence(random, 30 + random.nextInt(250));
        boolean ok = random.nextInt(50) != 0;
        int in = prompt.length() / 4;
        int outTokens = answer.length() / 4;
        long totalMs = 200 + random.nextInt(4000);
        LlmRequest request = LlmRequest.newBuilder().setId(id).setTeam(team).setApp(team + "-web")
            .setCustomer(random.nextInt(3) == 0 ? "cust-" + random.nextInt(500) : null)
            .setTags(Map.of("env", "prod", "feature", WORDS[random.nextInt(WORDS.length)]))
            .setModel(model)
            .setMessages(List.of(
                message("system", "You are a helpful assistant for the " + team + " team."),
                message("user", prompt)))
            .setReplyTo(team).setCreatedAt(created).build();
        LlmResponse response = LlmResponse.newBuilder().setRequestId(id)
            .setStatus(ok ? ResponseStatus.OK : ResponseStatus.ERROR)
            .setProvider(model.equals("smart") ? "anthropic" : "openai").setModel(model + "-2026")
            .setDeployment(model + "-primary").setContent(ok ? answer : null).setFinishReason(ok ? "stop" : null)
            .setUsage(TokenUsage.newBuilder().setInputTokens(in).setOutputTokens(ok ? outTokens : 0).build())
            .setCostMicros(ok ? in * 3L + outTokens * 15L : 0)
            .setTimings(Timings.newBuilder().setReceivedAt(created + 5).setQueuedMs(5 + random.nextInt(50))
                .setProviderMs(totalMs - 60).setTotalMs(totalMs).build())
            .setAttempts(1).setCompletedAt(created + totalMs).build();
        Attempt attempt = Attempt.newBuilder().setNumber(1).setDeployment(model + "-primary")
            .setProvider(response.getProvider()).setModel(response.getModel()).setStartedAt(created + 60)
            .setDurationMs(totalMs - 60).setHttpStatus(ok ? 200 : 500).build();
        out.add(AuditRecord.newBuilder().setRequestId(id).setPriority(Priority.values()[random.nextInt(3)])
            .setRequest(request).setResponse(response).setAttempts(List.of(attempt))
            .setWorker("worker-" + random.nextInt(3)).setRecordedAt(created + totalMs).build());
      }
      return out;
    }

    private static ChatMessage message(String role, String text) {
      return ChatMessage.newBuilder().setRole(role).setContent(List.of(ContentPart.newBuilder().setText(text).build()))
          .build();
    }

    private static String sentence(Random random, int words) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < words; i++) {
        b.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
      }
      return b.append('.').toString();
    }
  }
}
