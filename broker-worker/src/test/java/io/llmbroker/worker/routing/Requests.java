package io.llmbroker.worker.routing;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import java.util.List;

/** Small valid requests for router tests. */
final class Requests {

  private Requests() {}

  static LlmRequest request(String id, String model, String prompt) {
    return LlmRequest.newBuilder()
        .setId(id)
        .setTeam("team-a")
        .setApp("app-a")
        .setModel(model)
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText(prompt).build())).build()))
        .setReplyTo("svc")
        .setCreatedAt(0)
        .build();
  }
}
