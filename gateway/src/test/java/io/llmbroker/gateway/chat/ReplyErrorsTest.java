package io.llmbroker.gateway.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.client.RequestTimeoutException;
import io.llmbroker.gateway.http.OpenAiError;
import org.junit.jupiter.api.Test;

class ReplyErrorsTest {

  @Test
  void anExhaustedBudgetIs429InsufficientQuotaThatSdksDoNotRetry() {
    OpenAiError error = ReplyErrors.of(reply(ResponseStatus.REJECTED, ErrorClass.QUOTA,
        "budget 'search-monthly' is exhausted (rule: budget)"));

    assertThat(error.status()).isEqualTo(429);
    assertThat(error.code()).isEqualTo("insufficient_quota");
    assertThat(error.retry()).isFalse();
    assertThat(error.body().path("error").path("type").asText()).isEqualTo("insufficient_quota");
  }

  @Test
  void policyRulesMapToTheMatchingOpenAiError() {
    assertThat(of(ResponseStatus.REJECTED, ErrorClass.CALLER_FAULT, "model 'big' is not allowed (rule: models)"))
        .isEqualTo("404 model_not_found");
    assertThat(of(ResponseStatus.REJECTED, ErrorClass.CALLER_FAULT, "max_tokens 9000 above 500 (rule: max-tokens)"))
        .isEqualTo("400 null");
    assertThat(of(ResponseStatus.REJECTED, ErrorClass.CALLER_FAULT, "above STANDARD (rule: max-priority)"))
        .isEqualTo("403 permission_denied");
    assertThat(of(ResponseStatus.REJECTED, ErrorClass.CREDENTIAL, "app 'x' is revoked (rule: app-revoked)"))
        .isEqualTo("401 invalid_api_key");
    assertThat(of(ResponseStatus.REJECTED, ErrorClass.CREDENTIAL, "key 'k' is not a key of app 'x' (rule: signature)"))
        .isEqualTo("403 permission_denied");
    assertThat(of(ResponseStatus.REJECTED, ErrorClass.RATE_LIMITED, "too many requests (rule: app-rate)"))
        .isEqualTo("429 rate_limit_exceeded");
  }

  @Test
  void failuresMapByTheirClassAndAnExpiredDeadlineIs504() {
    assertThat(of(ResponseStatus.ERROR, ErrorClass.RATE_LIMITED, "429 from provider")).isEqualTo("429 rate_limit_exceeded");
    assertThat(of(ResponseStatus.ERROR, ErrorClass.QUOTA, "no credit")).isEqualTo("429 insufficient_quota");
    assertThat(of(ResponseStatus.ERROR, ErrorClass.TRANSIENT, "503 from provider")).isEqualTo("502 upstream_error");
    assertThat(of(ResponseStatus.ERROR, ErrorClass.CALLER_FAULT, "bad image")).isEqualTo("400 null");
    assertThat(of(ResponseStatus.EXPIRED, ErrorClass.TIMEOUT, "deadline passed")).isEqualTo("504 deadline_exceeded");
    assertThat(of(ResponseStatus.INVALID, ErrorClass.CALLER_FAULT, "unknown model: 'x' is neither ...")).isEqualTo("404 model_not_found");
    OpenAiError timeout = ReplyErrors.noReply(new RequestTimeoutException("r1", "no reply"));
    assertThat(timeout.status() + " " + timeout.code()).isEqualTo("504 timeout");
  }

  private static String of(ResponseStatus status, ErrorClass errorClass, String message) {
    OpenAiError error = ReplyErrors.of(reply(status, errorClass, message));
    return error.status() + " " + error.code();
  }

  private static LlmResponse reply(ResponseStatus status, ErrorClass errorClass, String message) {
    return LlmResponse.newBuilder().setRequestId("r1").setStatus(status).setCompletedAt(1)
        .setTimings(Timings.newBuilder().setReceivedAt(1).build())
        .setError(ErrorInfo.newBuilder().setErrorClass(errorClass).setMessage(message).build())
        .build();
  }
}
