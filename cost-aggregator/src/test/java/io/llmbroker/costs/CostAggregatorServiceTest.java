package io.llmbroker.costs;

import org.awaitility.Awaitility;
import static io.llmbroker.costs.support.Usage.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.query.CostQuery;
import io.llmbroker.costs.query.CostQueryClient;
import io.llmbroker.costs.query.CostQueryClient.CostQueryException;
import io.llmbroker.costs.query.CostRow;
import io.llmbroker.costs.query.Dimension;
import io.llmbroker.costs.support.Aggregators;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service on the real broker, queried over real HTTP. One service and one data set for every test. */
class CostAggregatorServiceTest {

  private static final Instant TEN = Instant.parse("2026-11-23T10:00:00Z");
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(100);

  @TempDir static Path stateDir;

  private static Topics topics;
  private static CostAggregatorService service;
  private static CostQueryClient client;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startServiceAndProduceUsage() throws Exception {
    topics = KafkaFixture.isolatedTopics(3);
    CostAggregatorConfig config = Aggregators.config(topics, 3, stateDir, "");
    service = CostAggregatorService.start(config, Map.of());
    client = new CostQueryClient(URI.create("http://127.0.0.1:" + service.port()));

    Properties props = KafkaFixture.get().clientProperties();
    try (var usage = new KafkaProducer<>(props, new StringSerializer(),
            AvroSerdes.singleObject().serde(UsageEvent.class).serializer());
        var raw = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      raw.send(new ProducerRecord<>(topics.usage().name(), "garbage", new byte[] {42})).get();
      for (UsageEvent e : List.of(
          event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(60)),
          event("r1", "search", "gpt-4o", 1_000, TEN.plusSeconds(60)),
          event("r2", "search", "claude-sonnet", 2_500, TEN.plusSeconds(120)),
          event("r3", "ads", "gpt-4o", 700, TEN.plusSeconds(180)),
          event("r4", "search", "gpt-4o", 4_000, TEN.plusSeconds(3700)))) {
        usage.send(new ProducerRecord<>(topics.usage().name(), e.getRequestId(), e)).get();
      }
    }
  }

  @AfterAll
  static void stopService() {
    if (service != null) {
      service.close();
    }
  }

  @Test
  void answersHourlySumsByTeamAsJsonCountingADuplicateOnce() throws Exception {
    CostQuery byTeam = CostQuery.of(Granularity.HOUR, TEN, TEN.plusSeconds(7200)).groupedBy(Dimension.TEAM);

    List<CostRow> rows = awaitRows(() -> client.query(byTeam), 4);

    assertThat(rows).extracting(r -> r.windowStart().toString(), r -> r.dimension(Dimension.TEAM), CostRow::requests,
            CostRow::costMicros)
        .containsExactly(
            tuple("2026-11-23T10:00:00Z", "ads", 1L, 700L),
            tuple("2026-11-23T10:00:00Z", "search", 2L, 3_500L),
            tuple("2026-11-23T11:00:00Z", "search", 1L, 4_000L));
  }

  @Test
  void answersDailySumsFilteredByTeamAsCsv() throws Exception {
    CostQuery searchByModel = CostQuery.of(Granularity.DAY, TEN.minusSeconds(36_000), TEN.plusSeconds(50_400))
        .groupedBy(Dimension.MODEL).where(Dimension.TEAM, "search");
    awaitRows(() -> client.query(searchByModel.groupedBy()), 3);

    String csv = client.queryCsv(searchByModel);

    assertThat(csv.lines()).containsExactly(
        "window_start,window_end,model,requests,input_tokens,output_tokens,cached_input_tokens,errors,latency_ms_total,"
            + "latency_ms_max,cost_micros,cost_usd",
        "2026-11-23T00:00:00Z,2026-11-24T00:00:00Z,claude-sonnet,1,100,10,0,0,0,0,2500,0.002500",
        "2026-11-23T00:00:00Z,2026-11-24T00:00:00Z,gpt-4o,2,200,20,0,0,0,0,5000,0.005000");
  }

  @Test
  void badParameterGets400NamingIt() throws Exception {
    HttpResponse<String> response = get("/api/costs?granularity=week");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("granularity").contains("week");
  }

  @Test
  void clientReportsAnUnreachableServiceWithoutAStatus() {
    CostQueryClient unreachable = new CostQueryClient(URI.create("http://127.0.0.1:1"));

    assertThatThrownBy(() -> unreachable.query(CostQuery.of(Granularity.HOUR, TEN, TEN.plusSeconds(3600))))
        .isInstanceOf(CostQueryException.class)
        .satisfies(e -> assertThat(((CostQueryException) e).status()).isZero());
  }

  @Test
  void undecodableUsageGoesToTheDeadLetterTopic() {
    Properties props = KafkaFixture.get().clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.dlq().name()));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      ConsumerRecord<byte[], byte[]> found = null;
      while (found == null && System.nanoTime() < deadline) {
        for (var record : consumer.poll(Duration.ofMillis(500))) {
          found = record;
        }
      }

      assertThat(found).isNotNull();
      assertThat(found.value()).containsExactly(42);
    }
  }

  @Test
  void servesHealthAndStreamsMetrics() throws Exception {
    awaitRows(() -> client.query(CostQuery.of(Granularity.HOUR, TEN, TEN.plusSeconds(7200))), 4);

    assertThat(get("/health/ready").statusCode()).isEqualTo(200);
    assertThat(service.ready()).isTrue();
    assertThat(get("/metrics").body()).contains("kafka_stream");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Polls until the rows count {@code requests} in total: the job works asynchronously. */
  private static List<CostRow> awaitRows(Supplier<List<CostRow>> query, long requests) {
    return Awaitility.await("rows counting " + requests + " requests").atMost(DEADLINE).pollInterval(POLL)
        .ignoreExceptionsMatching(e -> e instanceof CostQueryException q && q.status() == 503)
        .until(query::get, rows -> rows.stream().mapToLong(CostRow::requests).sum() >= requests);
  }
}
