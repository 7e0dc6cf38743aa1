package io.llmbroker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.worker.routing.CallOutcome;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OutputsTest {

  private static final long CREATED = 1_000_000L;
  private static final LlmRequest REQUEST = LlmRequest.newBuilder()
      .setId("r-1").setTeam("search").setApp("ranker").setCustomer("acme").setTags(Map.of("env", "prod"))
      .setModel("fast").setReplyTo("svc").setCreatedAt(CREATED).setBatchId("b-1").setCustomId("c-1")
      .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
          .setContent(List.of(ContentPart.newBuilder().setText("hi").build())).build()))
      .build();
  private static final Outputs.Context CONTEXT = new Outputs.Context(REQUEST, Priority.BATCH, CREATED + 40, "w-1");

  @Test
  void aCompletionBecomesAnOkResponseWithUsageAndTimings() {
    TokenUsage usage = TokenUsage.newBuilder().setInputTokens(10).setOutputTokens(20).build();
    CallOutcome outcome = new CallOutcome(
        Optional.of(new CallOutcome.Completion("sim", "sim-fast-1", "sim-fast", "hello", List.of(), "stop", usage, 55)),
        Optional.empty(), List.of(attempt(1, null)), Optional.of(CREATED + 100), 30);

    Outputs outputs = Outputs.routed(CONTEXT, outcome, ResponseStatus.OK, CREATED + 150);

    LlmResponse response = outputs.response();
    assertThat(response.getContent()).isEqualTo("hello");
    assertThat(response.getCostMicros()).isEqualTo(55);
    assertThat(response.getPriority()).isEqualTo(Priority.BATCH);
    assertThat(response.getTimings().getReceivedAt()).isEqualTo(CREATED + 40);
    assertThat(response.getTimings().getQueuedMs()).isEqualTo(100);
    assertThat(response.getTimings().getProviderMs()).isEqualTo(30);
    assertThat(response.getTimings().getTotalMs()).isEqualTo(150);
    assertThat(response.getToolCalls()).isNull();
    assertThat(outputs.usage()).hasValueSatisfying(u -> {
      assertThat(u.getCostMicros()).isEqualTo(55);
      assertThat(u.getUsage()).isEqualTo(usage);
      assertThat(u.getTags()).containsEntry("env", "prod");
      assertThat(u.getBatchId()).isEqualTo("b-1");
      assertThat(u.getLatencyMs()).isEqualTo(30);
    });
    assertThat(outputs.audit().getAttempts()).hasSize(1);
  }

  @Test
  void aFailedCallStillCountsAsUsageOfTheDeploymentLastTried() {
    ErrorInfo error = ErrorInfo.newBuilder().setErrorClass(ErrorClass.TRANSIENT).setMessage("503").build();
    CallOutcome outcome = new CallOutcome(Optional.empty(), Optional.of(error),
        List.of(attempt(1, error), attempt(2, error)), Optional.of(CREATED + 100), 60);

    Outputs outputs = Outputs.routed(CONTEXT, outcome, ResponseStatus.ERROR, CREATED + 300);

    assertThat(outputs.response().getStatus()).isEqualTo(ResponseStatus.ERROR);
    assertThat(outputs.response().getError()).isEqualTo(error);
    assertThat(outputs.response().getAttempts()).isEqualTo(2);
    assertThat(outputs.response().getDeployment()).isEqualTo("sim-fast");
    assertThat(outputs.usage()).hasValueSatisfying(u -> {
      assertThat(u.getStatus()).isEqualTo(ResponseStatus.ERROR);
      assertThat(u.getProvider()).isEqualTo("sim");
      assertThat(u.getCostMicros()).isZero();
    });
    assertThat(outputs.audit().getAttempts()).hasSize(2);
  }

  @Test
  void aRefusedRequestHasNoUsageAndQueuedUntilItsOutcome() {
    Outputs outputs = Outputs.refused(CONTEXT, ResponseStatus.EXPIRED, ErrorClass.TIMEOUT, "late", CREATED + 70);

    assertThat(outputs.usage()).isEmpty();
    assertThat(outputs.response().getTimings().getQueuedMs()).isEqualTo(70);
    assertThat(outputs.response().getError().getMessage()).isEqualTo("late");
    assertThat(outputs.audit().getRequest()).isEqualTo(REQUEST);
    assertThat(outputs.audit().getWorker()).isEqualTo("w-1");
  }

  private static Attempt attempt(int number, ErrorInfo error) {
    return Attempt.newBuilder().setNumber(number).setDeployment("sim-fast").setProvider("sim").setModel("sim-fast-1")
        .setStartedAt(CREATED + 100).setDurationMs(30).setError(error).build();
  }
}
