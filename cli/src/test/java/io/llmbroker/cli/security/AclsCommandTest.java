package io.llmbroker.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.runtime.security.RoleAcls;
import io.llmbroker.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AclsCommandTest {

  @Test
  void printsTheKafkaAclsLinesOfTheRoleDefinitions() {
    StringWriter out = new StringWriter();

    int code = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true))
        .execute("acls", "--role", "worker", "--principal", "User:worker", "--topic-prefix", "prod.");

    assertThat(code).isZero();
    assertThat(out.toString().lines().filter(l -> !l.startsWith("#")))
        .containsExactlyElementsOf(RoleAcls.kafkaAclsLines(new RoleAcls(new Topics("prod.", Optional.empty()))
            .worker("User:worker")));
  }

  @Test
  void aServiceWithoutAServiceNameIsRefusedSayingSo() {
    StringWriter err = new StringWriter();

    int code = LlmBrokerCommand.commandLine().setErr(new PrintWriter(err, true))
        .execute("acls", "--role", "service", "--principal", "User:checkout");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("role service needs a service name");
  }
}
