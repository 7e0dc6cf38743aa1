package io.llmbroker.cli.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BudgetsCommandTest {

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(1);

  @Test
  void setListStatusAndDeleteABudget() throws Exception {
    Run set = run("budgets", "set", "search-daily", "--team", "search", "--limit-usd", "2.50", "--period", "DAY",
        "--mode", "HARD", "--alerts", "50,90");
    Run soft = run("budgets", "set", "acme-gpt4o", "--customer", "acme", "--model", "openai/gpt-4o", "--limit-usd", "100");
    long now = System.currentTimeMillis();
    BudgetRules.Window today = BudgetRules.window(BudgetPeriod.DAY, now);
    publishState(BudgetState.newBuilder().setBudgetId("search-daily").setPeriodStart(today.start())
        .setPeriodEnd(today.end()).setSpentMicros(2_000_000).setLimitMicros(2_500_000).build());

    Run list = run("budgets", "list");
    Run status = run("budgets", "status");

    assertThat(set.code()).as(set.err()).isZero();
    assertThat(soft.code()).as(soft.err()).isZero();
    assertThat(list.out())
        .containsPattern("search-daily\\s+HARD\\s+DAY\\s+\\$2\\.500000\\s+50,90\\s+-\\s+team=search")
        .containsPattern("acme-gpt4o\\s+SOFT\\s+MONTH\\s+\\$100\\.000000\\s+50,80,100\\s+-\\s+customer=acme model=openai/gpt-4o");
    assertThat(status.out())
        .containsPattern("search-daily\\s+HARD\\s+\\$2\\.000000\\s+\\$2\\.500000\\s+80\\.0%\\s+ALERTING\\s+"
            + Instant.ofEpochMilli(today.end()))
        .containsPattern("acme-gpt4o\\s+SOFT\\s+\\$0\\.000000\\s+\\$100\\.000000\\s+0\\.0%\\s+OK");

    Run deleted = run("budgets", "delete", "search-daily");

    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(run("budgets", "list").out()).doesNotContain("search-daily").contains("acme-gpt4o");
  }

  @Test
  void mistakesAreOneLineErrorsThatWriteNothing() {
    Run noScope = run("budgets", "set", "lonely", "--limit-usd", "1");
    Run badLimit = run("budgets", "set", "free", "--team", "search", "--limit-usd", "0");
    Run badThreshold = run("budgets", "set", "odd", "--team", "search", "--limit-usd", "1", "--alerts", "0");
    Run missing = run("budgets", "delete", "nobody");

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

  private record Run(int code, String out, String err) {}

  private Run run(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap-server";
    all[args.length + 1] = kafka.bootstrapServers();
    all[args.length + 2] = "--topic-prefix";
    all[args.length + 3] = topics.prefix();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(all);
    return new Run(code, out.toString(), err.toString());
  }
}
