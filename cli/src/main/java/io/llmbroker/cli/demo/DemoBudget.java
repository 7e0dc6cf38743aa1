package io.llmbroker.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.cli.demo.DemoCommand.DemoRun;
import io.llmbroker.cli.demo.DemoCommand.Sent;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The demo's hard budget: team {@value #TEAM} gets a small daily limit before the traffic starts,
 * so that it runs out part-way and the rest of its requests are refused; the report shows it.
 */
final class DemoBudget {

  static final String TEAM = "finance";
  static final String ID = "finance-daily";
  private static final long LIMIT_MICROS = 10_000;

  private DemoBudget() {}

  /** Writes the budget to {@code llm.budgets} under {@code prefix}; the worker follows the topic. */
  static void set(String bootstrapServers, String prefix) throws Exception {
    Topics topics = new Topics(prefix, Optional.empty());
    Map<String, Object> props = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      Topics.createMissing(admin, List.of(topics.budgets()), (short) 1);
    }
    Budget budget = Budget.newBuilder().setId(ID).setScope(BudgetScope.newBuilder().setTeam(TEAM).build())
        .setPeriod(BudgetPeriod.DAY).setMode(BudgetMode.HARD).setLimitMicros(LIMIT_MICROS)
        .setUpdatedAt(System.currentTimeMillis()).build();
    try (KafkaProducer<String, Budget> producer = new KafkaProducer<>(props, new StringSerializer(),
        AvroSerdes.fromConfig(props).serde(Budget.class).serializer())) {
      producer.send(new ProducerRecord<>(topics.budgets().name(), ID, budget)).get(30, TimeUnit.SECONDS);
    }
  }

  /** Prints the budget as the cost aggregator reports it and what the worker refused under it. */
  static void report(PrintStream out, int costsPort, DemoRun run) throws Exception {
    List<Sent> refused = run.sent().stream().filter(x -> x.response().getStatus() == ResponseStatus.REJECTED
        && x.response().getError() != null && x.response().getError().getMessage().endsWith("(rule: budget)")).toList();
    long served = run.sent().stream().filter(x -> TEAM.equals(x.team()) && x.response().getStatus() == ResponseStatus.OK)
        .count();
    URI api = URI.create("http://localhost:" + costsPort + "/budgets");
    out.printf("%nHard budget %s: team %s may spend %s a day (%s)%n", ID, TEAM, BudgetRules.usd(LIMIT_MICROS), api);
    HttpResponse<String> answer = HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      out.printf("  the cost aggregator did not answer (%d): %s%n", answer.statusCode(), answer.body());
    }
    JsonNode budgets = answer.statusCode() == 200 ? new ObjectMapper().readTree(answer.body()) : null;
    for (JsonNode b : budgets == null ? List.<JsonNode>of() : budgets) {
      out.printf("  %s: spent %s of %s (%.1f%%), %s, resets at %s%n", b.get("id").asText(),
          BudgetRules.usd(b.get("spent_micros").asLong()), BudgetRules.usd(b.get("limit_micros").asLong()),
          b.get("percent").asDouble(), b.get("state").asText(), Instant.ofEpochMilli(b.get("resets_at").asLong()));
    }
    out.printf("  %s: %d requests served, %d refused by the budget before any provider call%n", TEAM, served,
        refused.size());
    refused.stream().findFirst().ifPresent(x -> out.println("  for example: " + x.response().getError().getMessage()));
  }
}
