package io.llmbroker.cli.costs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code llm-broker costs} against a real cost aggregator on the real broker. */
class CostsCommandTest {

  private static final Instant NOV_10 = Instant.parse("2026-11-10T10:00:00Z");
  private static final String LAST_MONTH = "--granularity=month --from=2026-11-01 --to=2026-12-01";

  @TempDir static Path stateDir;

  private static CostAggregatorService service;
  private static String url;

  @BeforeAll
  static void startAggregatorWithUsage() throws Exception {
    Topics topics = KafkaFixture.isolatedTopics(1);
    service = CostAggregatorService.start(CostAggregatorConfig.parse("""
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 1, replication-factor: 1}
        streams: {application-id: "%scosts", state-dir: "%s", commit-interval: 200ms}
        ops: {host: 127.0.0.1, port: 0}
        query: {advertised-host: 127.0.0.1}
        """.formatted(KafkaFixture.get().bootstrapServers(), topics.prefix(), topics.prefix(), stateDir), Map.of()), Map.of());
    url = "http://127.0.0.1:" + service.port();
    List<UsageEvent> events = new ArrayList<>();
    events.add(usage("r1", "search", "gpt-4o", "acme", 1_500_000));
    events.add(usage("r2", "search", "gpt-4o", "acme", 500_000));
    events.add(usage("r3", "search", "gpt-4o", "globex", 250_000));
    events.add(usage("r4", "search", "claude-sonnet", "acme", 9_000_000));
    events.add(usage("r5", "ads", "gpt-4o", "acme", 7_000_000));
    Properties props = KafkaFixture.get().clientProperties();
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), AvroSerdes.singleObject().serde(UsageEvent.class).serializer())) {
      for (UsageEvent e : events) {
        producer.send(new ProducerRecord<>(topics.usage().name(), e.getRequestId(), e));
      }
    }
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await("usage rolled up").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> http.send(HttpRequest.newBuilder(URI.create(url + "/api/costs?granularity=day&from=2026-11-10&to=2026-11-11"))
            .build(), HttpResponse.BodyHandlers.ofString()).body(), body -> body.contains("\"requests\":5,"));
  }

  @AfterAll
  static void stop() {
    if (service != null) {
      service.close();
    }
  }

  @Test
  void tableAnswersWhatATeamSpentOnAModelLastMonthByCustomerWithTotals() {
    Run run = run("costs --url=" + url + " " + LAST_MONTH + " --team=search --model=gpt-4o --group-by=customer");

    assertThat(run.code).isZero();
    assertThat(run.out.lines().map(l -> l.replaceAll(" +", " ")).toList()).containsExactly(
        "window customer requests input_tokens output_tokens errors cost_usd forecast_usd",
        "2026-11 acme 2 200 20 0 2.000000",
        "2026-11 globex 1 100 10 0 0.250000",
        "-".repeat(run.out.lines().toList().get(3).length()),
        "total 3 300 30 0 2.250000");
  }

  @Test
  void topKeepsTheCostliestGroupAndJsonIsTheApisAnswer() {
    Run run = run("costs --url=" + url + " " + LAST_MONTH + " --group-by=team --top=1 --json");

    assertThat(run.code).isZero();
    assertThat(run.out).contains("\"team\":\"search\"").doesNotContain("\"team\":\"ads\"")
        .contains("\"totals\":{\"requests\":5");
  }

  @Test
  void csvIsTheApisCsv() {
    Run run = run("costs --url=" + url + " " + LAST_MONTH + " --group-by=model --csv");

    assertThat(run.out.lines()).first().asString().startsWith("window_start,window_end,model,requests");
    assertThat(run.out).contains(",claude-sonnet,1,").contains(",gpt-4o,4,");
  }

  @Test
  void badParameterExitsTwoNamingIt() {
    Run run = run("costs --url=" + url + " --granularity=week");

    assertThat(run.code).isEqualTo(2);
    assertThat(run.err).contains("granularity").contains("week");
  }

  @Test
  void budgetsSayWhenTheAggregatorHasNone() {
    Run run = run("costs --url=" + url + " --budgets");

    assertThat(run.code).isZero();
    assertThat(run.out).contains("No budgets are defined.");
  }

  @Test
  void budgetsAreShownWithTheirFill() throws Exception {
    HttpServer budgets = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] body = """
        [{"id":"search-monthly","scope":{"team":"search","app":null,"customer":null,"model":null},"period":"MONTH",
          "mode":"HARD","limit_micros":100000000,"spent_micros":50000000,"percent":50.0,"state":"OK",
          "period_start":"2026-11-01T00:00:00Z","resets_at":"2026-12-01T00:00:00Z"}]
        """.getBytes(StandardCharsets.UTF_8);
    budgets.createContext("/budgets", ex -> {
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    budgets.start();
    try {
      Run run = run("costs --url=http://127.0.0.1:" + budgets.getAddress().getPort() + " --budgets");

      assertThat(run.out.lines().map(l -> l.replaceAll(" +", " ")).toList()).containsExactly(
          "id scope period mode spent_usd limit_usd fill state resets_at",
          "search-monthly team=search MONTH HARD 50.000000 100.000000 50.0% OK 2026-12-01T00:00:00Z");
    } finally {
      budgets.stop(0);
    }
  }

  private static UsageEvent usage(String id, String team, String model, String customer, long costMicros) {
    return UsageEvent.newBuilder().setRequestId(id).setTeam(team).setApp("web").setCustomer(customer)
        .setProvider("openai").setModel(model).setStatus(ResponseStatus.OK)
        .setUsage(TokenUsage.newBuilder().setInputTokens(100).setOutputTokens(10).build())
        .setCostMicros(costMicros).setOccurredAt(NOV_10.toEpochMilli()).build();
  }

  private static Run run(String args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = LlmBrokerCommand.commandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int code = cmd.execute(args.split(" "));
    return new Run(code, out.toString(), err.toString());
  }

  private record Run(int code, String out, String err) {}
}
