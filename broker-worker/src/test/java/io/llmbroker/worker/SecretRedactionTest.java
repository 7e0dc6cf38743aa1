package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.schemas.Topic;
import io.llmbroker.testsupport.FakeProviderServer;
import io.llmbroker.testsupport.FakeProviderServer.Api;
import io.llmbroker.testsupport.FakeReply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hostile tags and a provider that echoes the key: no secret reaches any topic the worker writes. */
class SecretRedactionTest {

  private static final String OPENAI_KEY = "sk-proj-Zx81kQ0wLmN3vB7cR2tY";
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  private static final String BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
  private static final String PASSWORD = "hunter2-correct-horse";

  private final WorkerTestKit kit = new WorkerTestKit(1);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void secretsInTagsAndProviderErrorsNeverReachRepliesUsageOrAudit() {
    try (FakeProviderServer provider = FakeProviderServer.start()) {
      provider.enqueue(Api.OPENAI, FakeReply.openAiError(401, "invalid_request_error", "invalid_api_key",
          "Incorrect API key provided: " + OPENAI_KEY + ". Signed by " + AWS_KEY + " for " + BEARER));
      kit.start(kit.config("", Map.of(), WorkerTestKit.fakeRouting(provider, 2)), WorkerTestKit.FAKE_ENV);
      var responses = kit.probe(kit.topics.responses("svc"));
      var usage = kit.probe(kit.topics.usage());
      var audit = kit.probe(kit.topics.audit());
      Map<String, String> hostile = Map.of(
          "note", "deploy key " + OPENAI_KEY,
          "forwarded", BEARER,
          "aws", AWS_KEY,
          "db_password", PASSWORD,
          "team-name", "search");

      kit.submit(Priority.STANDARD, request("hostile").setTags(hostile).build());

      LlmResponse reply = responses.awaitKeys(List.of("hostile"), WAIT).get("hostile");
      UsageEvent usageEvent = usage.awaitKeys(List.of("hostile"), WAIT).get("hostile");
      AuditRecord audited = audit.awaitKeys(List.of("hostile"), WAIT).get("hostile");
      assertThat(reply.getStatus()).isEqualTo(ResponseStatus.ERROR);
      assertThat(reply.getError().getMessage()).contains("Signed by [REDACTED] for [REDACTED]")
          .doesNotContain(OPENAI_KEY);
      assertThat(usageEvent.getTags()).containsEntry("note", "deploy key [REDACTED]")
          .containsEntry("forwarded", "[REDACTED]").containsEntry("aws", "[REDACTED]")
          .containsEntry("db_password", "[REDACTED]").containsEntry("team-name", "search");
      assertThat(audited.getRequest().getTags()).isEqualTo(usageEvent.getTags());
      assertThat(audited.getAttempts()).isNotEmpty().allSatisfy(a ->
          assertThat(a.getError().getMessage()).doesNotContain(OPENAI_KEY).doesNotContain(AWS_KEY));
      for (Topic<?> topic : List.of(kit.topics.responses("svc"), kit.topics.usage(), kit.topics.audit())) {
        List<ConsumerRecord<String, byte[]>> raw = kit.rawProbe(raw(topic)).awaitCount(1, WAIT);
        String bytes = new String(raw.get(0).value(), StandardCharsets.ISO_8859_1);
        assertThat(bytes).as(topic.name()).doesNotContain(OPENAI_KEY).doesNotContain(AWS_KEY)
            .doesNotContain("eyJhbGciOiJIUzI1NiJ9").doesNotContain(PASSWORD);
      }
    }
  }

  private static Topic<byte[]> raw(Topic<?> topic) {
    return new Topic<>(topic.name(), byte[].class, topic.partitions(), topic.configs());
  }
}
