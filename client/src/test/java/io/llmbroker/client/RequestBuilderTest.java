package io.llmbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RequestBuilderTest {

  private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

  @Test
  void everyFieldOfTheBuilderReachesTheWireRecord() {
    BrokerRequest built = RequestBuilder.create(clock).replyTo("svc").timeout(Duration.ofSeconds(10))
        .model("smart").team("t").app("a").customer("acme").tag("env", "prod")
        .priority(Priority.INTERACTIVE).system("be brief").user("hi").temperature(0.5f).maxTokens(64)
        .build();

    LlmRequest r = built.request();
    assertThat(built.priority()).isEqualTo(Priority.INTERACTIVE);
    assertThat(r.getModel()).isEqualTo("smart");
    assertThat(r.getCustomer()).isEqualTo("acme");
    assertThat(r.getTags()).containsEntry("env", "prod");
    assertThat(r.getMessages()).extracting(m -> m.getRole() + ":" + m.getContent().get(0).getText())
        .containsExactly("system:be brief", "user:hi");
    assertThat(r.getParams().getTemperature()).isEqualTo(0.5f);
    assertThat(r.getParams().getMaxTokens()).isEqualTo(64);
    assertThat(r.getReplyTo()).isEqualTo("svc");
    assertThat(r.getCreatedAt()).isEqualTo(clock.millis());
  }

  @Test
  void withoutAnExplicitDeadlineTheRequestExpiresWhenTheCallerStopsWaiting() {
    BrokerRequest built = RequestBuilder.create(clock).replyTo("svc").timeout(Duration.ofSeconds(10))
        .model("fast").team("t").app("a").user("hi").build();

    assertThat(built.request().getDeadline()).isEqualTo(clock.millis() + 10_000);
  }

  @Test
  void aRequestMissingAFieldIsRefusedNamingTheField() {
    RequestBuilder noModel = RequestBuilder.create(clock).replyTo("svc").timeout(Duration.ofSeconds(1)).team("t").app("a").user("x");
    RequestBuilder noMessages = RequestBuilder.create(clock).replyTo("svc").timeout(Duration.ofSeconds(1)).model("m").team("t").app("a");

    assertThatThrownBy(noModel::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model");
    assertThatThrownBy(noMessages::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("message");
  }
}
