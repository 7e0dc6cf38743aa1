package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.schemas.signing.RequestSigning;
import io.llmbroker.testsupport.FakeProviderServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The apps registry and verified identity, end to end on the real broker. */
class GovernanceTest {

  private static final String ROUTING = """
      routing:
        retry: {max-attempts: 1}
        providers:
          fake: {type: openai, base-url: "%s", api-key-env: FAKE_OPENAI_KEY}
        deployments:
          fake-gpt: {provider: fake, model: gpt-4o-mini, max-concurrency: 4}
        aliases:
          fast: [fake-gpt]
          big: [fake-gpt]
        prices:
          gpt-4o-mini: {input: "0.15", output: "0.60"}
      """;

  private final WorkerTestKit kit = new WorkerTestKit(3);
  private final FakeProviderServer provider = FakeProviderServer.start();
  private final KafkaProducer<byte[], byte[]> producer =
      new KafkaProducer<>(io.llmbroker.testsupport.KafkaFixture.get().clientProperties(), new ByteArraySerializer(),
          new ByteArraySerializer());
  private final KeyPair key = RequestSigning.generateKeyPair();
  private final KeyPair revokedKey = RequestSigning.generateKeyPair();

  @AfterEach
  void close() {
    kit.close();
    producer.close(Duration.ofSeconds(5));
    provider.close();
  }

  @Test
  void everyRefusalIsRejectedNamingItsRuleBeforeAnyProviderCallAndAudited() {
    register(ranker(Priority.STANDARD, 100, key("k1", key, null), key("k0", revokedKey, 1L)));
    register(App.newBuilder().setId("gone").setTeam("search").setModels(List.of("*")).setRevokedAt(1L).build());
    putRaw("broken", "not an app".getBytes(StandardCharsets.UTF_8));
    kit.start(kit.config("{require-signature: true, replay-window: 5m}", Map.of(), ROUTING.formatted(provider.openAiBaseUrl())),
        WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("ranker"));
    var audit = kit.probe(kit.topics.audit());
    var usage = kit.probe(kit.topics.usage());
    long now = System.currentTimeMillis();
    Map<String, String> expectedRule = new LinkedHashMap<>();

    send(expectedRule, "registered-app", Priority.STANDARD, signed(base("unknown-app").setApp("nobody"), Priority.STANDARD, "k1", key));
    send(expectedRule, "registered-app", Priority.STANDARD, signed(base("unreadable").setApp("broken"), Priority.STANDARD, "k1", key));
    send(expectedRule, "app-revoked", Priority.STANDARD, signed(base("revoked-app").setApp("gone"), Priority.STANDARD, "k1", key));
    send(expectedRule, "team", Priority.STANDARD, signed(base("wrong-team").setTeam("billing"), Priority.STANDARD, "k1", key));
    send(expectedRule, "require-signature", Priority.STANDARD, base("unsigned").build());
    send(expectedRule, "signature", Priority.STANDARD, signed(base("other-key"), Priority.STANDARD, "k1", RequestSigning.generateKeyPair()));
    send(expectedRule, "signature", Priority.STANDARD, signed(base("unknown-key"), Priority.STANDARD, "k9", key));
    LlmRequest tampered = signed(base("tampered"), Priority.STANDARD, "k1", key);
    tampered.setCustomer("someone-else");
    send(expectedRule, "signature", Priority.STANDARD, tampered);
    send(expectedRule, "signature", Priority.BATCH, signed(base("moved-topic"), Priority.STANDARD, "k1", key));
    send(expectedRule, "key-revoked", Priority.STANDARD, signed(base("revoked-key"), Priority.STANDARD, "k0", revokedKey));
    send(expectedRule, "replay-window", Priority.STANDARD,
        signed(base("stale").setCreatedAt(now - Duration.ofMinutes(6).toMillis()).setDeadline(null), Priority.STANDARD, "k1", key));
    send(expectedRule, "replay-window", Priority.STANDARD,
        signed(base("future").setCreatedAt(now + Duration.ofMinutes(6).toMillis()), Priority.STANDARD, "k1", key));
    send(expectedRule, "models", Priority.STANDARD, signed(base("model").setModel("big"), Priority.STANDARD, "k1", key));
    send(expectedRule, "max-priority", Priority.INTERACTIVE, signed(base("priority"), Priority.INTERACTIVE, "k1", key));
    send(expectedRule, "max-tokens", Priority.STANDARD,
        signed(base("tokens-over").setParams(GenerationParams.newBuilder().setMaxTokens(101).build()), Priority.STANDARD, "k1", key));
    send(expectedRule, "max-tokens", Priority.STANDARD,
        signed(base("tokens-unset").setParams(GenerationParams.newBuilder().build()), Priority.STANDARD, "k1", key));
    send(new LinkedHashMap<>(), "", Priority.BATCH, signed(base("allowed"), Priority.BATCH, "k1", key));

    Map<String, LlmResponse> answered = responses.awaitKeys(
        concat(expectedRule.keySet(), "allowed"), WAIT);
    expectedRule.forEach((id, rule) -> {
      LlmResponse response = answered.get(id);
      assertThat(response.getStatus()).as(id).isEqualTo(ResponseStatus.REJECTED);
      assertThat(response.getAttempts()).as(id).isZero();
      assertThat(response.getError().getMessage()).as(id).contains("(rule: " + rule + ")");
      boolean identity = !Set.of("models", "max-priority", "max-tokens").contains(rule);
      assertThat(response.getError().getErrorClass()).as(id)
          .isEqualTo(identity ? ErrorClass.CREDENTIAL : ErrorClass.CALLER_FAULT);
    });
    assertThat(answered.get("allowed").getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(provider.received()).hasSize(1);
    Map<String, AuditRecord> audited = audit.awaitKeys(concat(expectedRule.keySet(), "allowed"), WAIT);
    expectedRule.keySet().forEach(id -> assertThat(audited.get(id).getResponse().getStatus()).isEqualTo(ResponseStatus.REJECTED));
    Map<String, UsageEvent> used = usage.awaitKeys(List.of("allowed"), WAIT);
    assertThat(used.keySet()).containsExactly("allowed");
    assertThat(used.get("allowed").getCustomer()).isEqualTo("acme");
  }

  @Test
  void withAnEmptyRegistryAndNoPolicyAnyAppIsServedUnsigned() {
    kit.start(kit.config("", Map.of(), ROUTING.formatted(provider.openAiBaseUrl())), WorkerTestKit.FAKE_ENV);
    var responses = kit.probe(kit.topics.responses("svc"));

    kit.submit(Priority.INTERACTIVE, request("anyone").setApp("never-registered").build());

    assertThat(responses.awaitKeys(List.of("anyone"), WAIT).get("anyone").getStatus()).isEqualTo(ResponseStatus.OK);
  }

  @Test
  void aRevokedKeyIsRefusedByEveryWorkerWithinSeconds() throws Exception {
    register(ranker(Priority.INTERACTIVE, null, key("k1", key, null)));
    String intake = "{require-signature: true, drain-timeout: 10s, commit-interval: 200ms}";
    String routing = ROUTING.formatted(provider.openAiBaseUrl());
    kit.start(kit.config(intake, Map.of(), routing), WorkerTestKit.FAKE_ENV);
    kit.start(kit.config(intake, Map.of(), routing), WorkerTestKit.FAKE_ENV);
    WorkerTestKit.await("two workers share the nine request partitions", WAIT, () -> kit.stableGroup(2, 9));
    var responses = kit.probe(kit.topics.responses("ranker"));
    var audit = kit.probe(kit.topics.audit());

    List<String> before = sendToEveryPartition("before");
    Map<String, LlmResponse> served = responses.awaitKeys(before, WAIT);
    assertThat(before).allSatisfy(id -> assertThat(served.get(id).getStatus()).isEqualTo(ResponseStatus.OK));
    assertThat(workers(audit.awaitKeys(before, WAIT), before)).hasSize(2);

    long revokedAt = System.currentTimeMillis();
    register(ranker(Priority.INTERACTIVE, null, key("k1", key, revokedAt)));
    List<String> after = new ArrayList<>();
    for (int round = 0; ; round++) {
      List<String> probe = sendToEveryPartition("after-" + round);
      Map<String, LlmResponse> answers = responses.awaitKeys(probe, WAIT);
      after = probe;
      if (probe.stream().allMatch(id -> answers.get(id).getStatus() == ResponseStatus.REJECTED)) {
        break;
      }
      assertThat(System.currentTimeMillis() - revokedAt).as("revocation not applied everywhere yet").isLessThan(5_000);
    }
    long effectiveMs = System.currentTimeMillis() - revokedAt;

    Map<String, LlmResponse> rejected = responses.awaitKeys(after, WAIT);
    assertThat(after).allSatisfy(id -> {
      assertThat(rejected.get(id).getError().getErrorClass()).isEqualTo(ErrorClass.CREDENTIAL);
      assertThat(rejected.get(id).getError().getMessage()).contains("(rule: key-revoked)");
    });
    assertThat(workers(audit.awaitKeys(after, WAIT), after)).hasSize(2);
    assertThat(effectiveMs).isLessThan(5_000);
    System.out.println("revocation effective on both workers after " + effectiveMs + " ms");
  }

  /** One signed request on each partition of each request topic; returns their ids. */
  private List<String> sendToEveryPartition(String prefix) throws Exception {
    List<String> ids = new ArrayList<>();
    for (Priority priority : Priority.values()) {
      for (int partition = 0; partition < 3; partition++) {
        String id = prefix + "-" + priority + "-" + partition;
        LlmRequest request = signed(base(id).setParams(GenerationParams.newBuilder().build()), priority, "k1", key);
        producer.send(new ProducerRecord<>(kit.topics.requests(priority).name(), partition,
            id.getBytes(StandardCharsets.UTF_8), kit.encode(request))).get();
        ids.add(id);
      }
    }
    return ids;
  }

  private static Set<String> workers(Map<String, AuditRecord> audited, List<String> ids) {
    return ids.stream().map(id -> audited.get(id).getWorker()).collect(Collectors.toSet());
  }

  /** A request of the registered app ranker, answered on its own reply topic (intake.reply-to-registered). */
  private static LlmRequest.Builder base(String id) {
    return request(id).setReplyTo("ranker").setParams(GenerationParams.newBuilder().setMaxTokens(50).build());
  }

  private static App ranker(Priority ceiling, Integer maxTokens, AppKey... keys) {
    return App.newBuilder().setId("ranker").setTeam("search").setModels(List.of("fast"))
        .setMaxPriority(ceiling).setMaxTokens(maxTokens).setDefaultCustomer("acme").setKeys(List.of(keys)).build();
  }

  private static AppKey key(String id, KeyPair pair, Long revokedAt) {
    return AppKey.newBuilder().setId(id).setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
        .setRevokedAt(revokedAt).build();
  }

  private LlmRequest signed(LlmRequest.Builder builder, Priority priority, String keyId, KeyPair pair) {
    LlmRequest request = builder.build();
    request.setSignature(RequestSigning.sign(request, kit.topics.requests(priority).name(), keyId, pair.getPrivate()));
    return request;
  }

  private void send(Map<String, String> expected, String rule, Priority priority, LlmRequest request) {
    expected.put(request.getId(), rule);
    kit.submit(priority, request);
  }

  private void register(App app) {
    putRaw(app.getId(), kit.serdes.serde(App.class).serializer().serialize(kit.topics.apps().name(), app));
  }

  private void putRaw(String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(kit.topics.apps().name(), key.getBytes(StandardCharsets.UTF_8), value)).get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> concat(Set<String> ids, String more) {
    List<String> all = new ArrayList<>(ids);
    all.add(more);
    return all;
  }
}
