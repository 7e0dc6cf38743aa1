package io.llmbroker.costs;

import static io.llmbroker.costs.support.Usage.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.costs.support.Aggregators;
import io.llmbroker.costs.topology.CostTopology;
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
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two aggregator instances of one job on the real broker: either answers the whole query, or says why not. */
class CostAggregatorInstancesTest {

  private static final Instant TEN = Instant.parse("2026-11-23T10:00:00Z");
  private static final String QUERY = "/api/costs?granularity=day&from=2026-11-23&to=2026-11-24&group-by=team";
  private static final int EVENTS = 40;
  private static final long COST_EACH = 1_000;
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient http = HttpClient.newHttpClient();

  @TempDir static Path stateDir;

  private static Topics topics;
  private static CostAggregatorService a;
  private static CostAggregatorService b;

  @BeforeAll
  static void startTwoInstancesAndProduceUsage() throws Exception {
    topics = KafkaFixture.isolatedTopics(4);
    a = CostAggregatorService.start(config("a"), Map.of());
    b = CostAggregatorService.start(config("b"), Map.of());
    Properties props = KafkaFixture.get().clientProperties();
    try (var usage = new KafkaProducer<>(props, new StringSerializer(), AvroSerdes.singleObject().serde(UsageEvent.class).serializer())) {
      for (int i = 0; i < EVENTS; i++) {
        UsageEvent e = event("r" + i, "team-" + (i % 8), "gpt-4o", COST_EACH, TEN.plusSeconds(i));
        usage.send(new ProducerRecord<>(topics.usage().name(), e.getRequestId(), e));
      }
      usage.flush();
    }
  }

  @AfterAll
  static void stop() {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  @Test
  void eitherInstanceAnswersTheWholeQueryThoughEachHoldsOnlyPartOfIt() throws Exception {
    JsonNode viaA = awaitWholeAnswer(a);

    JsonNode viaB = get(b, QUERY);

    assertThat(viaA.path("totals").path("cost_micros").asLong()).isEqualTo(EVENTS * COST_EACH);
    assertThat(viaA.path("rows")).hasSize(8);
    assertThat(viaB).isEqualTo(viaA);
    long localToA = get(a, QUERY + "&scope=local").path("totals").path("requests").asLong();
    long localToB = get(b, QUERY + "&scope=local").path("totals").path("requests").asLong();
    assertThat(localToA).isBetween(1L, EVENTS - 1L);
    assertThat(localToA + localToB).isEqualTo(EVENTS);
  }

  @Test
  void anUnreachableInstanceMakesTheQueryFailNamingItAndNeverAPartialSum() throws Exception {
    awaitWholeAnswer(a);
    // A third instance of the job whose advertised address nobody listens on.
    CostAggregatorConfig config = config("unreachable");
    Properties props = config.streams().memberProperties(config.kafka(), config.topics());
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:1");
    KafkaStreams unreachable = new KafkaStreams(
        CostTopology.topology(topics, AvroSerdes.singleObject(), config.rollup()), props);
    unreachable.start();
    try {
      HttpResponse<String> refused = Awaitility.await("a query refused because of the unreachable instance")
          .atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
          .until(() -> send(a, QUERY), r -> r.statusCode() == 503 && r.body().contains("127.0.0.1:1"));

      assertThat(refused.body()).contains("unreachable").contains("no partial sum");
    } finally {
      unreachable.close(CloseOptions.timeout(Duration.ofSeconds(30))
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
    assertThat(awaitWholeAnswer(a).path("totals").path("cost_micros").asLong()).isEqualTo(EVENTS * COST_EACH);
  }

  private static CostAggregatorConfig config(String instance) {
    return Aggregators.config(topics, 4, stateDir.resolve(instance), "query: {advertised-host: 127.0.0.1, fan-out-timeout: 2s}");
  }

  /** Waits until the instance answers 200 with every event counted. */
  private static JsonNode awaitWholeAnswer(CostAggregatorService instance) {
    return Awaitility.await("the whole answer").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> send(instance, QUERY), r -> r.statusCode() == 200
            && tree(r.body()).path("totals").path("requests").asLong() == EVENTS)
        .body().transform(CostAggregatorInstancesTest::tree);
  }

  private static JsonNode get(CostAggregatorService instance, String path) throws Exception {
    HttpResponse<String> response = send(instance, path);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return tree(response.body());
  }

  private static HttpResponse<String> send(CostAggregatorService instance, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode tree(String body) {
    try {
      return JSON.readTree(body);
    } catch (Exception e) {
      throw new IllegalArgumentException(body, e);
    }
  }
}
