package io.llmbroker.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.schemas.Topics;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class RoleAclsTest {

  private final RoleAcls acls = new RoleAcls(new Topics("prod.", Optional.empty()));

  @Test
  void aServiceReadsOnlyItsOwnReplyTopicAndWritesOnlyRequests() {
    List<AclBinding> bindings = acls.forRole(RoleAcls.Role.SERVICE, "User:checkout", Optional.of("checkout"), Optional.empty());

    assertThat(bindings).filteredOn(b -> b.entry().operation() == AclOperation.READ)
        .extracting(b -> b.pattern().resourceType() + " " + b.pattern().name() + " " + b.pattern().patternType())
        .containsExactly("TOPIC prod.llm.responses.checkout LITERAL", "GROUP prod.checkout LITERAL");
    assertThat(bindings).filteredOn(b -> b.entry().operation() == AclOperation.WRITE)
        .extracting(b -> b.pattern().name())
        .containsExactly("prod.llm.requests.interactive", "prod.llm.requests.standard", "prod.llm.requests.batch");
  }

  @Test
  void aServiceNameEndingInAStarGrantsThePrefix() {
    List<AclBinding> bindings = acls.service("User:nightly", "batch-nightly-*");

    assertThat(bindings).filteredOn(b -> b.pattern().resourceType() == ResourceType.TOPIC
            && b.entry().operation() == AclOperation.READ)
        .extracting(b -> b.pattern().name() + " " + b.pattern().patternType())
        .containsExactly("prod.llm.responses.batch-nightly- PREFIXED");
  }

  @Test
  void linesGroupTheOperationsOfOneResourceAsKafkaAclsTakesThem() {
    List<String> lines = RoleAcls.kafkaAclsLines(acls.service("User:checkout", "checkout"));

    assertThat(lines).contains("kafka-acls.sh --bootstrap-server \"$BOOTSTRAP\" --command-config admin.properties --add"
        + " --allow-principal User:checkout --operation Read --operation Describe --operation Create"
        + " --topic prod.llm.responses.checkout --resource-pattern-type literal");
    assertThat(RoleAcls.kafkaAclsLines(acls.costAggregator("User:costs", "prod.llm-broker-cost-aggregator")))
        .contains("kafka-acls.sh --bootstrap-server \"$BOOTSTRAP\" --command-config admin.properties --add"
            + " --allow-principal User:costs --operation Write --operation Describe"
            + " --transactional-id prod.llm-broker-cost-aggregator --resource-pattern-type prefixed");
  }

  @Test
  void theWorkerCreatesReplyTopicsUnderThePrefixOnly() {
    assertThat(acls.worker("User:worker")).filteredOn(b -> b.entry().operation() == AclOperation.CREATE
            && b.pattern().patternType() == PatternType.PREFIXED)
        .extracting(b -> b.pattern().name())
        .containsExactly("prod.llm.responses.");
  }

  @Test
  void badInputIsRefusedNamingTheValue() {
    assertThatThrownBy(() -> RoleAcls.Role.of("admin")).hasMessageContaining("'admin'");
    assertThatThrownBy(() -> acls.forRole(RoleAcls.Role.SERVICE, "checkout", Optional.of("x"), Optional.empty()))
        .hasMessageContaining("'checkout'");
    assertThatThrownBy(() -> acls.forRole(RoleAcls.Role.GATEWAY, "User:gw", Optional.empty(), Optional.empty()))
        .hasMessageContaining("gateway needs a service name");
    assertThatThrownBy(() -> acls.service("User:x", "bad/name")).hasMessageContaining("'bad/name'");
  }
}
