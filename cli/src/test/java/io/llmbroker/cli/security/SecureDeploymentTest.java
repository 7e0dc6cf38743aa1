package io.llmbroker.cli.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.audit.AuditArchiverService;
import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.cli.LlmBrokerCommand;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.runtime.security.RoleAcls;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.WorkerService;
import io.llmbroker.worker.config.WorkerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole deployment on a cluster that authenticates with SASL/SCRAM and authorizes with ACLs:
 * every role runs as its own user with exactly the ACLs {@code llm-broker acls --apply} creates
 * for it, nothing else. One cluster and one deployment for every test.
 */
class SecureDeploymentTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String PREFIX = "acme.";
  private static final Topics TOPICS = new Topics(PREFIX, Optional.of(2));

  @TempDir static Path dataDir;

  /** Every role of the deployment, each as its own user. */
  private static final List<Grant> GRANTS = List.of(
      new Grant(RoleAcls.Role.WORKER, "worker", Optional.empty()),
      new Grant(RoleAcls.Role.SERVICE, "checkout", Optional.of("checkout")),
      new Grant(RoleAcls.Role.SERVICE, "billing", Optional.of("billing")),
      new Grant(RoleAcls.Role.COST_AGGREGATOR, "costs", Optional.empty()),
      new Grant(RoleAcls.Role.AUDIT_ARCHIVER, "audit", Optional.empty()));

  private static KafkaFixture kafka;
  private static final List<AutoCloseable> running = new ArrayList<>();
  private static LlmBrokerClient checkout;
  private static RoleAcls acls;

  @BeforeAll
  static void deployEveryRoleUnderItsOwnUser() throws Exception {
    kafka = KafkaFixture.secured();
    GRANTS.forEach(grant -> kafka.createUser(grant.user(), grant.user() + "-pw"));
    acls = new RoleAcls(TOPICS);
    GRANTS.forEach(SecureDeploymentTest::applyAcls);
    int granted = GRANTS.stream().mapToInt(grant -> grant.bindings().size()).sum();
    try (Admin admin = kafka.admin()) {
      // The authorizer learns ACLs through the metadata log: wait until it answers with all of them.
      Awaitility.await().atMost(WAIT)
          .until(() -> admin.describeAcls(AclBindingFilter.ANY).values().get().size() == granted);
    }

    running.add(WorkerService.start(WorkerConfig.parse("""
        worker: {id: secure-worker}
        kafka: %s
        topics: {prefix: "%s", partitions: 2, replication-factor: 1}
        ops: {host: 127.0.0.1, port: 0}
        intake: {drain-timeout: 5s, commit-interval: 200ms}
        routing:
          providers:
            sim: {type: simulated, latency: {min: 2ms, max: 10ms}, output-tokens: {min: 5, max: 20}}
          deployments:
            sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 8}
          aliases:
            fast: [sim-fast]
          prices:
            sim-fast-1: {input: "1.00", output: "2.00"}
        """.formatted(flow(user("worker")), PREFIX), Map.of()), Map.of()));
    running.add(CostAggregatorService.start(CostAggregatorConfig.parse("""
        kafka: %s
        topics: {prefix: "%s", partitions: 2, replication-factor: 1}
        streams: {application-id: "%s", state-dir: "%s", commit-interval: 200ms}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(flow(user("costs")), PREFIX, acls.defaultApplicationId(RoleAcls.Role.COST_AGGREGATOR),
        Files.createDirectories(dataDir.resolve("costs"))), Map.of()), Map.of()));
    running.add(AuditArchiverService.start(AuditArchiverConfig.parse("""
        kafka: %s
        topics: {prefix: "%s", partitions: 2, replication-factor: 1}
        streams: {application-id: "%s", state-dir: "%s", commit-interval: 200ms}
        archive: {dir: "%s", roll-interval: 200ms}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(flow(user("audit")), PREFIX, acls.defaultApplicationId(RoleAcls.Role.AUDIT_ARCHIVER),
        Files.createDirectories(dataDir.resolve("audit-state")), dataDir.resolve("archive")), Map.of()), Map.of()));
    checkout = LlmBrokerClient.create(ClientConfig.of(kafka.bootstrapServers(), "checkout").withTopicPrefix(PREFIX)
        .withKafka(strings(user("checkout"))).withDefaultTimeout(WAIT));
    running.add(checkout);
  }

  @AfterAll
  static void stop() {
    for (int i = running.size() - 1; i >= 0; i--) {
      try {
        running.get(i).close();
      } catch (Exception e) {
        System.err.println("stop failed: " + e);
      }
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aServiceIsAnsweredAndBothJobsReadTheOutputsWithOnlyTheirAcls() throws Exception {
    LlmResponse reply = checkout.request().team("payments").app("checkout").model("fast").priority(Priority.INTERACTIVE)
        .user("hello").submit().get();

    assertThat(reply.getStatus()).isEqualTo(ResponseStatus.OK);
    // Both Streams jobs commit (in transactions) past every record the worker wrote for them.
    awaitCommittedToEnd(acls.defaultApplicationId(RoleAcls.Role.COST_AGGREGATOR), TOPICS.usage());
    awaitCommittedToEnd(acls.defaultApplicationId(RoleAcls.Role.AUDIT_ARCHIVER), TOPICS.audit());
  }

  @Test
  void aServiceCannotReadAnotherServicesReplies() {
    Topic<?> billingReplies = TOPICS.responses("billing");
    kafka.createTopics(List.of(billingReplies));

    try (KafkaConsumer<byte[], byte[]> spy = new KafkaConsumer<>(user("checkout"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      spy.assign(List.of(new TopicPartition(billingReplies.name(), 0)));
      spy.seekToBeginning(spy.assignment());

      assertThatThrownBy(() -> spy.poll(Duration.ofSeconds(10)))
          .isInstanceOfSatisfying(TopicAuthorizationException.class,
              e -> assertThat(e.unauthorizedTopics()).containsExactly(billingReplies.name()));
    }
  }

  @Test
  void aServiceCannotWriteUsage() {
    try (KafkaProducer<byte[], byte[]> forger = new KafkaProducer<>(user("checkout"), new ByteArraySerializer(),
        new ByteArraySerializer())) {

      assertThatThrownBy(() -> forger.send(new ProducerRecord<>(TOPICS.usage().name(), new byte[] {1})).get())
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(TopicAuthorizationException.class,
              e -> assertThat(e.unauthorizedTopics()).containsExactly(TOPICS.usage().name()));
    }
  }

  private static void awaitCommittedToEnd(String group, Topic<?> topic) {
    try (Admin admin = kafka.admin()) {
      Awaitility.await().atMost(WAIT).until(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        List<TopicPartition> partitions = List.of(new TopicPartition(topic.name(), 0), new TopicPartition(topic.name(), 1));
        var ends = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
            .all().get();
        return ends.values().stream().mapToLong(e -> e.offset()).sum() > 0
            && partitions.stream().allMatch(p -> committed.get(p) != null
                ? committed.get(p).offset() >= ends.get(p).offset() : ends.get(p).offset() == 0);
      });
    }
  }

  /** Runs {@code llm-broker acls --apply} for {@code grant}, as an operator would. */
  private static void applyAcls(Grant grant) {
    Properties admin = kafka.clientProperties();
    Path config = dataDir.resolve("admin-" + System.nanoTime() + ".properties");
    try (var writer = Files.newBufferedWriter(config)) {
      admin.store(writer, null);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    List<String> all = new ArrayList<>(List.of("acls"));
    all.addAll(List.of("--role", grant.role().cliName(), "--principal", grant.principal()));
    grant.service().ifPresent(service -> all.addAll(List.of("--service", service)));
    all.addAll(List.of("--apply", "--config", config.toString(), "--topic-prefix", PREFIX));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(all.toArray(String[]::new));
    assertThat(code).as(err.toString()).isZero();
  }

  private static Properties user(String name) {
    return kafka.clientProperties(name, name + "-pw");
  }

  private static Map<String, String> strings(Properties props) {
    return props.stringPropertyNames().stream().collect(Collectors.toMap(k -> k, props::getProperty));
  }

  /** Client properties as a YAML flow map, quoted. */
  private static String flow(Properties props) {
    return strings(props).entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\": '" + e.getValue() + "'")
        .collect(Collectors.joining(", ", "{", "}"));
  }

  private record Grant(RoleAcls.Role role, String user, Optional<String> service) {
    String principal() {
      return "User:" + user;
    }

    List<AclBinding> bindings() {
      return acls.forRole(role, principal(), service, Optional.empty());
    }
  }
}
