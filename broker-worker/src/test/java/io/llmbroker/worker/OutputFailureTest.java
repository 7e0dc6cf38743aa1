package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.publishing.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Outputs that cannot be published, on the real broker: none may hold its request's offset. */
class OutputFailureTest {

  /** Answers with as many words as asked for: 6,000 words of 17 bytes make a 100 KB reply. */
  private static final String BIG_ANSWERS = """
      routing:
        providers:
          sim: {type: simulated, latency: {min: 1ms, max: 5ms}, output-tokens: {min: 6000, max: 6000}}
        deployments:
          sim-fast: {provider: sim, model: sim-fast-1, max-concurrency: 8}
        aliases:
          fast: [sim-fast]
        prices:
          sim-fast-1: {input: "1.00", output: "2.00"}
      """;

  private final WorkerTestKit kit = new WorkerTestKit(1);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void outputsTooLargeToPublishAreReplacedByStandInsAndDeadLetteredAndTheOffsetIsCommitted() {
    kit.start(kit.config("{max-request-bytes: 20000, commit-interval: 200ms}",
        Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "60000"), BIG_ANSWERS));
    var responses = kit.probe(kit.topics.responses("svc"));
    var audit = kit.probe(kit.topics.audit());
    var dlq = kit.rawProbe(kit.topics.dlq());
    String word = "abcdefghijklmnop ";

    kit.submit(Priority.STANDARD, request("huge").setMessages(List.of(ChatMessage.newBuilder().setRole("user")
        .setContent(List.of(ContentPart.newBuilder().setText(word.repeat(900)).build())).build())).build());
    kit.submit(Priority.STANDARD, request("after").setMessages(List.of(ChatMessage.newBuilder().setRole("user")
        .setContent(List.of(ContentPart.newBuilder().setText("short").build())).build())).build());

    Map<String, LlmResponse> answered = responses.awaitKeys(List.of("huge", "after"), WAIT);
    LlmResponse huge = answered.get("huge");
    assertThat(huge.getStatus()).isEqualTo(ResponseStatus.ERROR);
    assertThat(huge.getError().getErrorClass()).isEqualTo(ErrorClass.INTERNAL);
    assertThat(huge.getError().getMessage()).contains("could not publish the response").contains("RecordTooLarge");
    assertThat(huge.getContent()).isNull();
    Map<String, AuditRecord> audited = audit.awaitKeys(List.of("huge", "after"), WAIT);
    AuditRecord trimmed = audited.get("huge");
    assertThat(trimmed.getTruncated()).isTrue();
    assertThat(trimmed.getResponse().getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(trimmed.getResponse().getContent()).hasSizeLessThan(5000).endsWith("[truncated]");
    assertThat(trimmed.getRequest().getMessages().get(0).getContent().get(0).getText()).hasSizeLessThan(1100);
    assertThat(audited.get("after").getTruncated()).isFalse();
    ConsumerRecord<String, byte[]> dead = dlq.awaitCount(1, WAIT).get(0);
    assertThat(dead.key()).isEqualTo("huge");
    assertThat(header(dead, DeadLetters.FAILED_OUTPUTS))
        .isEqualTo(kit.topics.responses("svc").name() + "," + kit.topics.audit().name());
    assertThat(header(dead, DeadLetters.ERROR_CLASS)).endsWith("RecordTooLargeException");
    WorkerTestKit.await("the offset past both requests committed", WAIT,
        () -> kit.committed().equals(kit.requestEndOffsets()));
  }

  @Test
  void aReplyTopicThatCannotBeCreatedIsDeadLetteredAndNeitherStopsOtherRepliesNorHoldsTheOffset() throws Exception {
    kit.start(kit.config("{commit-interval: 200ms}", Map.of(), WorkerTestKit.SIM_ROUTING));
    var responses = kit.probe(kit.topics.responses("svc"));
    var audit = kit.probe(kit.topics.audit());
    var usage = kit.probe(kit.topics.usage());
    var dlq = kit.rawProbe(kit.topics.dlq());
    // Kafka refuses a topic whose name differs from an existing one only by '.' against '_'.
    String unwritable = "taken";
    try (Admin admin = KafkaFixture.get().admin()) {
      admin.createTopics(List.of(new NewTopic(kit.topics.prefix() + "llm_responses_taken", 1, (short) 1))).all().get();
    }

    kit.submit(Priority.STANDARD, request("nowhere").setReplyTo(unwritable).build());
    for (int i = 0; i < 20; i++) {
      kit.submit(Priority.STANDARD, request("ok-" + i).build());
    }

    List<String> ok = IntStream.range(0, 20).mapToObj(i -> "ok-" + i).toList();
    assertThat(responses.awaitKeys(ok, WAIT).values()).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ResponseStatus.OK));
    assertThat(audit.awaitKeys(List.of("nowhere"), WAIT).get("nowhere").getResponse().getStatus())
        .isEqualTo(ResponseStatus.OK);
    usage.awaitKeys(List.of("nowhere"), WAIT);
    ConsumerRecord<String, byte[]> dead = dlq.awaitCount(1, WAIT).get(0);
    assertThat(dead.key()).isEqualTo("nowhere");
    assertThat(header(dead, DeadLetters.FAILED_OUTPUTS)).isEqualTo(kit.topics.responses(unwritable).name());
    assertThat(header(dead, DeadLetters.ERROR_MESSAGE)).contains("cannot create topic");
    WorkerTestKit.await("the offset past every request committed", WAIT,
        () -> kit.committed().equals(kit.requestEndOffsets()));
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
