package io.llmbroker.costs.budgets;

import static io.llmbroker.costs.support.Usage.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetAlert;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Budgets in the running cost aggregator, on the real broker and over real HTTP. */
class BudgetsServiceTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path stateDir;

  private final Topics topics = KafkaFixture.isolatedTopics(3);
  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private CostAggregatorService service;

  @AfterEach
  void stop() {
    if (service != null) {
      service.close();
    }
  }

  @Test
  void servesEachBudgetsSpendAsJsonAndAlertsOnceDespiteAMalformedBudgetRecord() throws Exception {
    long now = System.currentTimeMillis();
    BudgetRules.Window today = BudgetRules.window(BudgetPeriod.DAY, now);
    service = CostAggregatorService.start(CostAggregatorConfig.parse("""
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 3, replication-factor: 1}
        streams: {application-id: "%scosts", state-dir: "%s", commit-interval: 100ms}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(KafkaFixture.get().bootstrapServers(), topics.prefix(), topics.prefix(), stateDir), Map.of()), Map.of());
    Properties props = KafkaFixture.get().clientProperties();
    try (var raw = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        var usage = new KafkaProducer<>(props, new StringSerializer(), serdes.serde(UsageEvent.class).serializer())) {
      raw.send(new ProducerRecord<>(topics.budgets().name(), "broken", "not a budget".getBytes(StandardCharsets.UTF_8))).get();
      Budget budget = Budget.newBuilder().setId("search-daily").setScope(BudgetScope.newBuilder().setTeam("search").build())
          .setPeriod(BudgetPeriod.DAY).setMode(BudgetMode.HARD).setLimitMicros(10_000).build();
      raw.send(new ProducerRecord<>(topics.budgets().name(), budget.getId(),
          serdes.serde(Budget.class).serializer().serialize(topics.budgets().name(), budget))).get();
      Awaitility.await("the budget in the aggregator").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> get().contains("search-daily"));
      for (int i = 1; i <= 3; i++) {
        usage.send(new ProducerRecord<>(topics.usage().name(), "r" + i,
            event("r" + i, "search", "gpt-4o", 3_000, Instant.ofEpochMilli(now)))).get();
      }
    }

    Awaitility.await("the spend in GET /budgets").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> JSON.readTree(get()).get(0).get("spent_micros").asLong() == 9_000);

    JsonNode row = JSON.readTree(get()).get(0);
    assertThat(JSON.readTree(get())).hasSize(1);
    assertThat(row.get("id").asText()).isEqualTo("search-daily");
    assertThat(row.get("scope").get("team").asText()).isEqualTo("search");
    assertThat(row.get("scope").get("app").isNull()).isTrue();
    assertThat(row.get("period").asText()).isEqualTo("DAY");
    assertThat(row.get("mode").asText()).isEqualTo("HARD");
    assertThat(row.get("limit_micros").asLong()).isEqualTo(10_000);
    assertThat(row.get("percent").asDouble()).isEqualTo(90.0);
    assertThat(row.get("state").asText()).isEqualTo("ALERTING");
    assertThat(row.get("period_start").asLong()).isEqualTo(today.start());
    assertThat(row.get("resets_at").asLong()).isEqualTo(today.end());
    // GET /budgets reads the store, which holds spend before its transaction commits; the alerts
    // are read committed, so wait for them too.
    Awaitility.await("the alerts committed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> alertThresholds().size() >= 2);
    assertThat(alertThresholds()).containsExactly(50, 80);
    assertThat(service.ready()).isTrue();
  }

  private List<Integer> alertThresholds() {
    Properties props = KafkaFixture.get().clientProperties();
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<Integer> thresholds = new ArrayList<>();
    try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        serdes.serde(BudgetAlert.class).deserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topics.budgetAlerts().name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> thresholds.add(r.value().getThreshold()));
      }
    }
    return thresholds;
  }

  private String get() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + BudgetsHandler.PATH)).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode() == 200 ? response.body() : "";
  }
}
