package io.llmbroker.gateway.chat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.EnqueueException;
import io.llmbroker.client.RequestTimeoutException;
import io.llmbroker.gateway.http.OpenAiError;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps a reply that is not {@code OK}, or a request that got no reply, to the OpenAI error an SDK
 * expects: refusals by their rule ({@code (rule: budget)} is 429 {@code insufficient_quota}),
 * provider failures by their error class, an expired deadline to 504. Stateless.
 */
final class ReplyErrors {

  private static final Pattern RULE = Pattern.compile("\\(rule: ([a-z0-9-]+)\\)\\s*$");

  private ReplyErrors() {}

  static OpenAiError of(LlmResponse reply) {
    ErrorInfo error = reply.getError();
    String message = error != null ? error.getMessage() : "request " + reply.getRequestId() + " ended " + reply.getStatus();
    ErrorClass errorClass = error != null ? error.getErrorClass() : ErrorClass.UNKNOWN;
    return switch (reply.getStatus()) {
      case REJECTED -> rejected(message, errorClass);
      case EXPIRED -> new OpenAiError(504, "timeout", "deadline_exceeded", null,
          "The request's deadline passed before a model answered: " + message, false);
      case INVALID -> message.startsWith("unknown model")
          ? OpenAiError.notFound("model_not_found", "model", message)
          : OpenAiError.invalid(null, message);
      case ERROR -> failed(message, errorClass);
      default -> new OpenAiError(502, "server_error", "upstream_error", null, message, true);
    };
  }

  /** A request that got no reply: its timeout passed, or Kafka did not take it. */
  static OpenAiError noReply(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof RequestTimeoutException) {
      return new OpenAiError(504, "timeout", "timeout", null, "No answer within the request's timeout: " + cause.getMessage(), false);
    }
    if (cause instanceof EnqueueException) {
      return new OpenAiError(503, "server_error", "kafka_unavailable", null, "The request could not be enqueued.", true);
    }
    return new OpenAiError(503, "server_error", "unavailable", null, "The gateway could not send the request.", true);
  }

  private static OpenAiError rejected(String message, ErrorClass errorClass) {
    Matcher rule = RULE.matcher(message);
    String name = rule.find() ? rule.group(1) : "";
    return switch (name) {
      case "budget" -> new OpenAiError(429, "insufficient_quota", "insufficient_quota", null, message, false);
      case "models" -> OpenAiError.notFound("model_not_found", "model", message);
      case "max-tokens" -> OpenAiError.invalid("max_tokens", message);
      case "registered-app", "app-revoked" -> OpenAiError.unauthorized(message);
      default -> switch (errorClass) {
        case QUOTA -> new OpenAiError(429, "insufficient_quota", "insufficient_quota", null, message, false);
        case RATE_LIMITED -> new OpenAiError(429, "requests", "rate_limit_exceeded", null, message, true);
        case CALLER_FAULT -> name.isEmpty() ? OpenAiError.invalid(null, message) : forbidden(message);
        default -> forbidden(message);
      };
    };
  }

  private static OpenAiError failed(String message, ErrorClass errorClass) {
    return switch (errorClass) {
      case RATE_LIMITED -> new OpenAiError(429, "requests", "rate_limit_exceeded", null, message, true);
      case QUOTA -> new OpenAiError(429, "insufficient_quota", "insufficient_quota", null, message, false);
      case CALLER_FAULT -> OpenAiError.invalid(null, message);
      case TIMEOUT -> new OpenAiError(504, "timeout", "upstream_timeout", null, message, true);
      case INTERNAL -> new OpenAiError(500, "server_error", "internal_error", null, message, true);
      default -> new OpenAiError(502, "server_error", "upstream_error", null, message, true);
    };
  }

  private static OpenAiError forbidden(String message) {
    return new OpenAiError(403, "invalid_request_error", "permission_denied", null, message, false);
  }

  static boolean ok(LlmResponse reply) {
    return reply.getStatus() == ResponseStatus.OK;
  }
}
