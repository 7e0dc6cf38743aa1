package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where a worker will answer, on the real broker: the reply_to rules and the cap on reply topics. */
class ReplyToLimitsTest {

  private final WorkerTestKit kit = new WorkerTestKit(1);

  @AfterEach
  void close() {
    kit.close();
  }

  @Test
  void pastTheReplyTopicCapARequestForANewTopicIsRejectedAuditedAndMakesNoTopic() throws Exception {
    kit.createReplyTopics("first", "second");
    WorkerService worker = kit.start(kit.config("{max-reply-topics: 2, commit-interval: 200ms}", Map.of(),
        WorkerTestKit.SIM_ROUTING));
    var audit = kit.probe(kit.topics.audit());
    var answers = kit.probe(kit.topics.responses("first"));
    var dlq = kit.rawProbe(kit.topics.dlq());

    kit.submit(Priority.INTERACTIVE, request("over-cap").setReplyTo("third").build());
    kit.submit(Priority.INTERACTIVE, request("existing").setReplyTo("first").build());
    // Refused at validation: its answer, too, has no topic to go to, and only the audit keeps it.
    kit.submit(Priority.INTERACTIVE, request("invalid-over-cap").setReplyTo("fourth").setModel("no-such-model").build());

    AuditRecord refused = audit.awaitKeys(List.of("over-cap"), WAIT).get("over-cap");
    assertThat(refused.getResponse().getStatus()).isEqualTo(ResponseStatus.REJECTED);
    assertThat(refused.getResponse().getError().getErrorClass()).isEqualTo(ErrorClass.QUOTA);
    assertThat(refused.getResponse().getError().getMessage())
        .contains(kit.topics.responses("third").name(), "the limit is 2", "(intake.max-reply-topics)");
    assertThat(refused.getResponse().getAttempts()).as("no provider call").isZero();
    assertThat(audit.awaitKeys(List.of("invalid-over-cap"), WAIT).get("invalid-over-cap").getResponse().getStatus())
        .isEqualTo(ResponseStatus.INVALID);
    LlmResponse served = answers.awaitKeys(List.of("existing"), WAIT).get("existing");
    assertThat(served.getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(replyTopics()).containsExactlyInAnyOrder(kit.topics.responses("first").name(),
        kit.topics.responses("second").name());
    WorkerTestKit.await("all three requests committed", WAIT,
        () -> kit.committed().values().stream().mapToLong(Long::longValue).sum() == 3);
    assertThat(dlq.records()).as("nothing dead-lettered").isEmpty();
    assertThat(worker.alive()).isTrue();
  }

  @Test
  void aRegisteredAppIsAnsweredOnlyOnItsOwnReplyTopics() throws Exception {
    register(App.newBuilder().setId("checkout").setTeam("search").setModels(List.of("*")).build());
    kit.start(kit.config());
    var audit = kit.probe(kit.topics.audit());
    var own = kit.probe(kit.topics.responses("checkout-eu"));

    kit.submit(Priority.INTERACTIVE, request("elsewhere").setApp("checkout").setReplyTo("billing").build());
    kit.submit(Priority.INTERACTIVE, request("own").setApp("checkout").setReplyTo("checkout-eu").build());

    assertThat(own.awaitKeys(List.of("own"), WAIT).get("own").getStatus()).isEqualTo(ResponseStatus.OK);
    AuditRecord refused = audit.awaitKeys(List.of("elsewhere"), WAIT).get("elsewhere");
    assertThat(refused.getResponse().getStatus()).isEqualTo(ResponseStatus.INVALID);
    assertThat(refused.getResponse().getError().getMessage())
        .contains("'billing' is not a reply service of registered app 'checkout'", "(intake.reply-to-registered)");
    assertThat(replyTopics()).containsExactly(kit.topics.responses("checkout-eu").name());
  }

  private Set<String> replyTopics() throws Exception {
    try (Admin admin = KafkaFixture.get().admin()) {
      return Set.copyOf(admin.listTopics().names().get().stream()
          .filter(name -> name.startsWith(kit.topics.responsesPrefix())).toList());
    }
  }

  private void register(App app) throws Exception {
    try (var producer = new KafkaProducer<>(KafkaFixture.get().clientProperties(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(kit.topics.apps().name(), app.getId().getBytes(StandardCharsets.UTF_8),
          kit.serdes.serde(App.class).serializer().serialize(kit.topics.apps().name(), app))).get();
    }
  }
}
