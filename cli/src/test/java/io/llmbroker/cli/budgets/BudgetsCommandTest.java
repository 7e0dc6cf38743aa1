package io.llmbroker.cli.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.cli.CommandRun;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.time.Instant;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class BudgetsCommandTest {

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(1);

  @Test
  void setListStatusAndDeleteABudget() throws Exception {
    CommandRun set = run("budgets", "set", "search-daily", "--team", "search", "--limit-usd", "2.50", "--period", "DAY",
        "--mode", "HARD", "--alerts", "50,90");
    CommandRun soft = run("budgets", "set", "acme-gpt4o", "--customer", "acme", "--model", "openai/gpt-4o", "--limit-usd", "100");
    long now = System.currentTimeMillis();
    BudgetRules.Window today = BudgetRules.window(BudgetPeriod.DAY, now);
    publishState(BudgetState.newBuilder().setBudgetId("search-daily").setPeriodStart(today.start())
        .setPeriodEnd(today.end()).setSpentMicros(2_000_000).setLimitMicros(2_500_000).build());

    CommandRun list = run("budgets", "list");
    CommandRun status = run("budgets", "status");

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(soft.code()).as(soft.err()).isZero();
    assertThat(list.out())
        .containsPattern("search-daily\\s+HARD\\s+DAY\\s+\\$2\\.500000\\s+50,90\\s+-\\s+team=search")
        .containsPattern("acme-gpt4o\\s+SOFT\\s+MONTH\\s+\\$100\\.000000\\s+50,80,100\\s+-\\s+customer=acme model=openai/gpt-4o");
    assertThat(status.out())
        .containsPattern("search-daily\\s+HARD\\s+\\$2\\.000000\\s+\\$2\\.500000\\s+80\\.0%\\s+ALERTING\\s+"
            + Instant.ofEpochMilli(today.end()))
        .containsPattern("acme-gpt4o\\s+SOFT\\s+\\$0\\.000000\\s+\\$100\\.000000\\s+0\\.0%\\s+OK");

    CommandRun deleted = run("budgets", "delete", "search-daily");

    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(run("budgets", "list").out()).doesNotContain("search-daily").contains("acme-gpt4o");
  }

  @Test
  void mistakesAreOneLineErrorsThatWriteNothing() {
    CommandRun noScope = run("budgets", "set", "lonely", "--limit-usd", "1");
    CommandRun badLimit = run("budgets", "set", "free", "--team", "search", "--limit-usd", "0");
    CommandRun badThreshold = run("budgets", "set", "odd", "--team", "search", "--limit-usd", "1", "--alerts", "0");
    CommandRun missing = run("budgets", "delete", "nobody");

    assertThat(noScope.code()).isEqualTo(2);
    assertThat(noScope.err()).contains("give --team, --app or --customer");
    assertThat(badLimit.err()).contains("--limit-usd");
    assertThat(badThreshold.err()).contains("alert threshold");
    assertThat(missing.err()).contains("no budget 'nobody'");
    assertThat(run("budgets", "list").out()).doesNotContain("lonely", "free", "odd");
  }

  private void publishState(BudgetState state) throws Exception {
    try (KafkaProducer<String, BudgetState> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
        AvroSerdes.singleObject().serde(BudgetState.class).serializer())) {
      producer.send(new ProducerRecord<>(topics.budgetState().name(), state.getBudgetId(), state)).get();
    }
  }

  private CommandRun run(String... args) {
    return CommandRun.run(kafka, topics, args);
  }
}
