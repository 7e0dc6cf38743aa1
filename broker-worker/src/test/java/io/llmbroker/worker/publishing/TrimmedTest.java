package io.llmbroker.worker.publishing;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

class TrimmedTest {

  private final AvroSerdes serdes = AvroSerdes.singleObject();

  @Test
  void aTrimmedAuditRecordStaysSmallWhateverTheOriginalHeldAndSaysSo() {
    AuditRecord full = audit(200, 60_000);

    AuditRecord trimmed = Trimmed.audit(full);

    assertThat(size(full)).isGreaterThan(10_000_000);
    assertThat(size(trimmed)).isLessThan(200_000);
    assertThat(trimmed.getTruncated()).isTrue();
    assertThat(trimmed.getRequestId()).isEqualTo(full.getRequestId());
    assertThat(trimmed.getRequest().getMessages()).hasSize(Trimmed.ITEMS);
    assertThat(trimmed.getResponse().getContent()).startsWith("x".repeat(100)).endsWith("[truncated]");
    assertThat(full.getTruncated()).isFalse();
  }

  @Test
  void theStandInReplyIsAnInternalErrorWithoutContent() {
    LlmResponse full = audit(1, 1_000_000).getResponse();

    LlmResponse reply = Trimmed.reply(full, new RecordTooLargeException("The message is 2000000 bytes"));

    assertThat(reply.getStatus()).isEqualTo(ResponseStatus.ERROR);
    assertThat(reply.getError().getErrorClass()).isEqualTo(ErrorClass.INTERNAL);
    assertThat(reply.getError().getMessage()).contains("RecordTooLargeException");
    assertThat(reply.getContent()).isNull();
    assertThat(reply.getRequestId()).isEqualTo(full.getRequestId());
  }

  private int size(AuditRecord record) {
    return serdes.serde(AuditRecord.class).serializer().serialize("t", record).length;
  }

  private static AuditRecord audit(int messages, int textLength) {
    String text = "x".repeat(textLength);
    LlmRequest request = LlmRequest.newBuilder().setId("r1").setTeam("t").setApp("a").setModel("fast")
        .setReplyTo("svc").setCreatedAt(0).setTags(Map.of("k", text))
        .setMessages(IntStream.range(0, messages).mapToObj(i -> ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText(text).build())).build()).toList())
        .build();
    LlmResponse response = LlmResponse.newBuilder().setRequestId("r1").setStatus(ResponseStatus.OK).setContent(text)
        .setTimings(Timings.newBuilder().setReceivedAt(0).build()).setCompletedAt(0).build();
    return AuditRecord.newBuilder().setRequestId("r1").setRequest(request).setResponse(response).setWorker("w")
        .setRecordedAt(0).build();
  }
}
