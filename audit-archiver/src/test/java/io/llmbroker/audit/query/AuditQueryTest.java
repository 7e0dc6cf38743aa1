package io.llmbroker.audit.query;

import static io.llmbroker.audit.support.Audits.record;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.audit.AuditArchive;
import io.llmbroker.audit.AuditArchiverService;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.audit.support.Archivers;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's questions, {@code audit show} and {@code audit export}, against an archive the
 * archiver wrote from the real broker. The SQL here is the README's, word for word.
 */
class AuditQueryTest {

  static final String SLOWEST_YESTERDAY =
      "SELECT request_id, model, total_ms FROM calls WHERE date = current_date - 1 ORDER BY total_ms DESC LIMIT 10";
  static final String ERRORS_BY_PROVIDER =
      "SELECT provider, error_class, count(*) AS errors FROM calls WHERE status <> 'OK' GROUP BY ALL ORDER BY errors DESC";
  static final String CUSTOMER_ASKED =
      "SELECT created_at, json_extract_string(messages, '$[#-1].content') AS asked, answer FROM calls WHERE customer = 'acme' ORDER BY created_at";
  static final String COST_BY_MODEL =
      "SELECT model, count(*) AS calls, sum(cost_usd) AS usd FROM calls GROUP BY model ORDER BY usd DESC";
  static final String PREFIX_OF_A_DAY =
      "SELECT request_id, status, total_ms FROM calls WHERE date = current_date - 1 AND starts_with(request_id, 'checkout-')";

  private static final Instant YESTERDAY = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofHours(12));

  private static final java.util.concurrent.atomic.AtomicInteger CREATED = new java.util.concurrent.atomic.AtomicInteger();

  @TempDir static Path stateDir;
  @TempDir static Path archiveDir;
  private static ArchiveQuery archive;

  @BeforeAll
  static void archiveSomeTraffic() throws Exception {
    Topics topics = KafkaFixture.isolatedTopics(2);
    AuditArchiverConfig config = Archivers.config(topics, "archiver", stateDir, archiveDir, "200ms", "");
    List<AuditRecord> records = List.of(
        call("checkout-1", "fast", "openai", 900, 1200, "acme", "Where is my order 77? Mail me at a@b.com", "Shipped."),
        call("checkout-2", "fast", "openai", 300, 800, null, "Hi", "Hello."),
        call("search-1", "smart", "anthropic", 4000, 25000, "acme", "Summarise the report", "It says..."),
        failed("search-2", "smart", "anthropic", ErrorClass.RATE_LIMITED),
        failed("search-3", "fast", "openai", ErrorClass.TIMEOUT),
        failed("search-4", "smart", "anthropic", ErrorClass.RATE_LIMITED));
    try (AuditArchiverService service = AuditArchiverService.start(config, Map.of())) {
      Archivers.produce(topics, records);
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> AuditArchive.count(archiveDir) >= records.size());
    }
    archive = ArchiveQuery.open(archiveDir);
  }

  @AfterAll
  static void close() throws Exception {
    archive.close();
  }

  @Test
  void slowestCallsYesterday() throws Exception {
    assertThat(archive.rows(SLOWEST_YESTERDAY)).extracting(r -> r.get("request_id"))
        .startsWith("search-1", "checkout-1", "checkout-2");
  }

  @Test
  void errorsByProvider() throws Exception {
    assertThat(archive.rows(ERRORS_BY_PROVIDER)).extracting(r -> r.get("provider"), r -> r.get("error_class"),
        r -> ((Number) r.get("errors")).intValue()).containsExactly(
        org.assertj.core.groups.Tuple.tuple("anthropic", "RATE_LIMITED", 2),
        org.assertj.core.groups.Tuple.tuple("openai", "TIMEOUT", 1));
  }

  @Test
  void whatCustomerAcmeAskedWithPersonalDataRedacted() throws Exception {
    assertThat(archive.rows(CUSTOMER_ASKED)).extracting(r -> r.get("asked"))
        .containsExactly("Where is my order 77? Mail me at [EMAIL]", "Summarise the report");
  }

  @Test
  void costByModel() throws Exception {
    List<Map<String, Object>> rows = archive.rows(COST_BY_MODEL);

    assertThat(rows).extracting(r -> r.get("model")).containsExactly("smart", "fast");
    assertThat(rows.get(0).get("usd").toString()).startsWith("0.004");
  }

  @Test
  void aDaysCallsForOneRequestIdPrefix() throws Exception {
    assertThat(archive.rows(PREFIX_OF_A_DAY)).extracting(r -> r.get("request_id"))
        .containsExactlyInAnyOrder("checkout-1", "checkout-2");
  }

  @Test
  void everyFormatPrintsTheSameRows() throws Exception {
    String table = print(ResultFormat.TABLE, COST_BY_MODEL);
    String csv = print(ResultFormat.CSV, COST_BY_MODEL);
    String json = print(ResultFormat.JSON, COST_BY_MODEL);

    assertThat(table).contains("model", "smart", "fast", "(2 rows)");
    assertThat(csv.lines()).first().isEqualTo("model,calls,usd");
    assertThat(csv.lines()).hasSize(3);
    assertThat(new ObjectMapper().readTree(json.lines().findFirst().orElseThrow()).get("calls").asInt()).isEqualTo(3);
  }

  @Test
  void showTellsOneCallsWholeStory() throws Exception {
    StringWriter out = new StringWriter();

    boolean found = CallStory.print(archive, "search-2", new PrintWriter(out));

    assertThat(found).isTrue();
    assertThat(out.toString()).contains("search-2", "team search", "#1 anthropic-main", "HTTP 429",
        "RATE_LIMITED", "worker-1", "Summarise");
  }

  @Test
  void showSaysSoWhenNoCallMatches() throws Exception {
    StringWriter out = new StringWriter();

    assertThat(CallStory.print(archive, "nope", new PrintWriter(out))).isFalse();
    assertThat(out.toString()).contains("no call");
  }

  @Test
  void exportWritesAnOpenAiChatEvalSetOfAnsweredCalls() throws Exception {
    StringWriter out = new StringWriter();

    long n = EvalExport.write(archive, "team = 'checkout'", EvalExport.Format.OPENAI_CHAT, new PrintWriter(out));

    List<JsonNode> lines = out.toString().lines().map(AuditQueryTest::json).toList();
    assertThat(n).isEqualTo(2);
    assertThat(lines.get(0).get("messages")).hasSize(2);
    assertThat(lines.get(0).get("messages").get(1).get("role").asText()).isEqualTo("assistant");
    assertThat(lines.get(0).get("messages").get(1).get("content").asText()).isEqualTo("Shipped.");
  }

  @Test
  void exportWritesAnOpenAiBatchInputFile() throws Exception {
    StringWriter out = new StringWriter();

    long n = EvalExport.write(archive, "model = 'smart'", EvalExport.Format.OPENAI_BATCH, new PrintWriter(out));

    JsonNode first = json(out.toString().lines().findFirst().orElseThrow());
    assertThat(n).isEqualTo(3);
    assertThat(first.get("url").asText()).isEqualTo("/v1/chat/completions");
    assertThat(first.get("body").get("model").asText()).isEqualTo("smart");
    assertThat(first.get("body").get("max_tokens").asInt()).isEqualTo(256);
    assertThat(first.get("custom_id").asText()).startsWith("search-");
  }

  @Test
  void theFilesAreParquetThatOtherEnginesRead() throws Exception {
    Path file = AuditArchive.files(archiveDir).get(0).path();

    try (Statement s = archive.connection().createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM parquet_schema('" + file + "') WHERE name = 'tags'")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
    assertThat(LocalDate.ofInstant(YESTERDAY, ZoneOffset.UTC).toString()).isEqualTo(
        file.getParent().getFileName().toString().substring("date=".length()));
  }

  private static String print(ResultFormat format, String sql) throws Exception {
    StringWriter out = new StringWriter();
    try (Statement s = archive.connection().createStatement(); ResultSet rs = s.executeQuery(sql)) {
      format.print(rs, new PrintWriter(out));
    }
    return out.toString();
  }

  private static JsonNode json(String line) {
    try {
      return new ObjectMapper().readTree(line);
    } catch (Exception e) {
      throw new AssertionError(line, e);
    }
  }

  private static AuditRecord call(String id, String model, String provider, long costMicros, long totalMs,
      String customer, String question, String answer) {
    AuditRecord r = record(id, YESTERDAY);
    // Created one second apart, in the order the calls are listed.
    r.getRequest().setCreatedAt(YESTERDAY.toEpochMilli() + 1000L * CREATED.getAndIncrement());
    r.getRequest().setTeam(id.substring(0, id.indexOf('-')));
    r.getRequest().setModel(model);
    r.getRequest().setCustomer(customer);
    r.getRequest().getParams().setMaxTokens(256);
    r.getRequest().getMessages().get(0).getContent().get(0).setText(question);
    r.getResponse().setProvider(provider);
    r.getResponse().setContent(answer);
    r.getResponse().setCostMicros(costMicros);
    r.getResponse().getTimings().setTotalMs(totalMs);
    return r;
  }

  private static AuditRecord failed(String id, String model, String provider, ErrorClass error) {
    AuditRecord r = call(id, model, provider, 0, 100, null, "Summarise", null);
    r.getResponse().setStatus(ResponseStatus.ERROR);
    r.getResponse().setError(new ErrorInfo(error, "provider said no", error == ErrorClass.RATE_LIMITED ? 429 : null,
        null));
    r.setAttempts(List.of(new io.llmbroker.avro.Attempt(1, provider + "-main", provider, "m-1",
        YESTERDAY.toEpochMilli(), 80L, r.getResponse().getError(), error == ErrorClass.RATE_LIMITED ? 429 : null)));
    return r;
  }
}
