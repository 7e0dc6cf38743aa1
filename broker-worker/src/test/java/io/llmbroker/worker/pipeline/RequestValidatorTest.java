package io.llmbroker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
    RequestValidator validator = new RequestValidator(Pattern.compile("[a-z]+"), "{app}", app -> false, 100,
        model -> model.equals("fast") ? Optional.empty() : Optional.of("unknown model: '" + model + "'"));

    assertThat(validator.problem(REQUEST, 50)).isEmpty();
    assertThat(validator.problem(REQUEST, 101)).hasValueSatisfying(p -> assertThat(p).contains("101 bytes"));
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setApp("").build(), 50))
        .hasValue("app must not be blank");
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setReplyTo("Svc").build(), 50))
        .hasValueSatisfying(p -> assertThat(p).contains("reply_to is not allowed: 'Svc'", "(intake.reply-to-allow)"));
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setModel("smart").build(), 50))
        .hasValueSatisfying(p -> assertThat(p).contains("unknown model: 'smart'"));
  }

  @Test
  void theDefaultPatternsTieARegisteredAppsReplyToToItsOwnNames() {
    RequestValidator validator = new RequestValidator(Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,99}"),
        "{app}|{app}-.+|batch-.+", Set.of("checkout", "a.b")::contains, 100_000, model -> Optional.empty());

    assertThat(allowed(validator, "checkout", "checkout")).isTrue();
    assertThat(allowed(validator, "checkout", "checkout-eu")).isTrue();
    assertThat(allowed(validator, "checkout", "batch-b20261202-k3x9qa")).isTrue();
    assertThat(allowed(validator, "checkout", "billing")).isFalse();
    assertThat(allowed(validator, "checkout", "checkoutx")).isFalse();
    // The app id is literal text in the pattern, not a regular expression.
    assertThat(allowed(validator, "a.b", "aXb")).isFalse();
    // An app not in the registry names itself, so tying its reply_to to it would prove nothing.
    assertThat(allowed(validator, "unregistered", "billing")).isTrue();
    assertThat(allowed(validator, "unregistered", "llm.responses.x")).isFalse();
    assertThat(validator.problem(LlmRequest.newBuilder(REQUEST).setApp("checkout").setReplyTo("billing").build(), 10))
        .hasValueSatisfying(p -> assertThat(p).contains("'billing' is not a reply service of registered app 'checkout'",
            "(intake.reply-to-registered)"));
  }

  private static boolean allowed(RequestValidator validator, String app, String replyTo) {
    return validator.replyToAllowed(LlmRequest.newBuilder(REQUEST).setApp(app).setReplyTo(replyTo).build());
  }
}
