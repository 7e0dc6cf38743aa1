package io.llmbroker.cli.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The operator's flow end to end: a worker with the bundled config and signatures required, an
 * app registered with {@code llm-broker apps add}, a service signing with the printed key, and
 * a key revocation.
 */
class SignedServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final KafkaFixture kafka = KafkaFixture.get();
  private final String prefix = "s" + UUID.randomUUID().toString().substring(0, 8) + ".";

  @Test
  void aServiceSigningWithThePrintedKeyIsServedUntilTheKeyIsRevoked() throws Exception {
    Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "LLM_BROKER_TOPIC_PREFIX", prefix,
        "LLM_BROKER_WORKER_OPS_PORT", "0", "LLM_BROKER_REQUIRE_SIGNATURE", "true");
    try (WorkerService worker = WorkerService.start(WorkerConfig.parse(WorkerConfig.bundledYaml(), env), env)) {
      String added = apps("add", "checkout", "--team", "payments", "--models", "fast");
      ClientConfig base = ClientConfig.of(kafka.bootstrapServers(), "checkout").withTopicPrefix(prefix)
          .withDefaultTimeout(WAIT);
      ClientConfig signing = base.withSigning(field(added, "signing-key-id"), field(added, "signing-key"));

      try (LlmBrokerClient signed = LlmBrokerClient.create(signing); LlmBrokerClient unsigned = LlmBrokerClient.create(base)) {
        Awaitility.await().atMost(WAIT).until(() -> ask(signed).getStatus() == ResponseStatus.OK);
        LlmResponse refused = ask(unsigned);
        assertThat(refused.getStatus()).isEqualTo(ResponseStatus.REJECTED);
        assertThat(refused.getError().getErrorClass()).isEqualTo(ErrorClass.CREDENTIAL);
        assertThat(refused.getError().getMessage()).contains("(rule: require-signature)");

        apps("revoke", "checkout", "--key", field(added, "signing-key-id"));

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ask(signed).getStatus() == ResponseStatus.REJECTED);
        assertThat(ask(signed).getError().getMessage()).contains("(rule: key-revoked)");
      }
    }
  }

  private static LlmResponse ask(LlmBrokerClient client) {
    return client.request().model("fast").team("payments").app("checkout").priority(Priority.INTERACTIVE).user("hi")
        .submit().join();
  }

  private String apps(String... args) {
    String[] all = new String[args.length + 5];
    all[0] = "apps";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--bootstrap-server";
    all[args.length + 2] = kafka.bootstrapServers();
    all[args.length + 3] = "--topic-prefix";
    all[args.length + 4] = prefix;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(all);
    assertThat(code).as(err.toString()).isZero();
    return out.toString();
  }

  private static String field(String out, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ": (\\S+)$").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }
}
