package io.llmbroker.worker.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.App;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppLookup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestPolicyTest {

  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_000_000), ZoneOffset.UTC);
  private static final String TOPIC = "llm.requests.standard";

  private final LlmRequest request = LlmRequest.newBuilder()
      .setId("r1").setTeam("search").setApp("ranker").setModel("fast")
      .setMessages(List.of(ChatMessage.newBuilder().setRole("user").build()))
      .setReplyTo("svc").setCreatedAt(CLOCK.millis()).build();

  @Test
  void anEmptyRegistryWithoutPolicyAdmitsEveryRequestUnchanged() {
    RequestPolicy policy = new RequestPolicy(AppLookup.of(Map.of()), false, false, Duration.ofMinutes(1), CLOCK);

    assertThat(policy.check(request, TOPIC, Priority.INTERACTIVE)).isEqualTo(new RequestPolicy.Admit(request));
  }

  @Test
  void requireAppRefusesUnknownAppsEvenWhileTheRegistryIsEmpty() {
    RequestPolicy policy = new RequestPolicy(AppLookup.of(Map.of()), true, false, Duration.ofMinutes(1), CLOCK);

    assertThat(policy.check(request, TOPIC, Priority.STANDARD)).isInstanceOfSatisfying(RequestPolicy.Refuse.class, r -> {
      assertThat(r.errorClass()).isEqualTo(ErrorClass.CREDENTIAL);
      assertThat(r.reason()).contains("'ranker'", "(rule: registered-app)");
    });
  }

  @Test
  void oneRegisteredAppMakesEveryOtherAppUnknown() {
    App other = App.newBuilder().setId("other").setTeam("t").setModels(List.of("*")).build();
    RequestPolicy policy = new RequestPolicy(AppLookup.of(Map.of("other", AppEntry.of("other", other))), false, false,
        Duration.ofMinutes(1), CLOCK);

    assertThat(policy.check(request, TOPIC, Priority.STANDARD)).isInstanceOf(RequestPolicy.Refuse.class);
  }

  @Test
  void anUnsignedRequestOfARegisteredAppIsAdmittedWhenSignaturesAreNotRequired() {
    App ranker = App.newBuilder().setId("ranker").setTeam("search").setModels(List.of("fast")).build();
    RequestPolicy policy = new RequestPolicy(AppLookup.of(Map.of("ranker", AppEntry.of("ranker", ranker))), false, false,
        Duration.ofMinutes(1), CLOCK);

    assertThat(policy.check(request, TOPIC, Priority.INTERACTIVE)).isEqualTo(new RequestPolicy.Admit(request));
  }
}
