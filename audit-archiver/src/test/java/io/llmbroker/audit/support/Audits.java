package io.llmbroker.audit.support;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Audit records for tests. */
public final class Audits {

  private Audits() {}

  public static AuditRecord record(String requestId, Instant recordedAt) {
    return record(requestId, recordedAt, Map.of("env", "test"));
  }

  public static AuditRecord record(String requestId, Instant recordedAt, Map<String, String> tags) {
    long at = recordedAt.toEpochMilli();
    LlmRequest request = LlmRequest.newBuilder()
        .setId(requestId)
        .setTeam("search")
        .setApp("web")
        .setTags(Map.copyOf(tags))
        .setModel("fast")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText("hello").build())).build()))
        .setReplyTo("web")
        .setCreatedAt(at)
        .build();
    LlmResponse response = LlmResponse.newBuilder()
        .setRequestId(requestId)
        .setStatus(ResponseStatus.OK)
        .setContent("hi")
        .setTimings(Timings.newBuilder().setReceivedAt(at).build())
        .setCompletedAt(at)
        .build();
    return AuditRecord.newBuilder()
        .setRequestId(requestId)
        .setRequest(request)
        .setResponse(response)
        .setWorker("worker-1")
        .setRecordedAt(at)
        .build();
  }
}
