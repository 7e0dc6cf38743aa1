package io.llmbroker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {

  private static final LlmRequest REQUEST = LlmRequest.newBuilder()
      .setId("r-1").setTeam("search").setApp("ranker").setModel("fast").setReplyTo("svc").setCreatedAt(1L)
      .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
          .setContent(List.of(ContentPart.newBuilder().setText("hi").build())).build()))
      .build();

  @Test
  void theValidatorNamesTheFirstProblem() {
    RequestValidator validator = new RequestValidator(Pattern.compile("[a-z]+"), 100,
        model -> model.equals("fast") ? Optional.empty() : Optional.of("unknown model: '" + model + "'"));

    assertThat(validator.problem(REQUEST, 50)).isEmpty();
    assertThat(validator.problem(REQUEST, 101)).hasValueSatisfying(p -> assertThat(p).contains("101 bytes"));
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setApp("").build(), 50))
        .hasValue("app must not be blank");
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setReplyTo("Svc").build(), 50))
        .hasValueSatisfying(p -> assertThat(p).contains("reply_to is not allowed: 'Svc'"));
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setModel("smart").build(), 50))
        .hasValueSatisfying(p -> assertThat(p).contains("unknown model: 'smart'"));
  }
}
