package io.llmbroker.worker.providers;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A failed provider call, classified once where it happened. Retry, fall-back and cool-down
 * decisions switch on {@link #errorClass()}, never on HTTP statuses. The message never
 * contains a credential: adapters build it from the provider's error message and status only.
 */
public final class ProviderException extends RuntimeException {

  private final ErrorClass errorClass;
  private final Integer httpStatus;
  private final String providerCode;
  private final Duration retryAfter;

  public ProviderException(ErrorClass errorClass, String message, Integer httpStatus, String providerCode,
      Duration retryAfter) {
    super(message, null, false, false);
    this.errorClass = Objects.requireNonNull(errorClass, "errorClass");
    this.httpStatus = httpStatus;
    this.providerCode = providerCode;
    this.retryAfter = retryAfter;
  }

  public ProviderException(ErrorClass errorClass, String message) {
    this(errorClass, message, null, null, null);
  }

  public ErrorClass errorClass() {
    return errorClass;
  }

  public Optional<Integer> httpStatus() {
    return Optional.ofNullable(httpStatus);
  }

  public Optional<String> providerCode() {
    return Optional.ofNullable(providerCode);
  }

  /** How long the provider asked us to wait before the next call, when it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** True for the classes worth another call: rate limits, transient faults and timeouts. */
  public boolean retryable() {
    return errorClass == ErrorClass.RATE_LIMITED || errorClass == ErrorClass.TRANSIENT
        || errorClass == ErrorClass.TIMEOUT;
  }

  public ErrorInfo toErrorInfo() {
    return ErrorInfo.newBuilder()
        .setErrorClass(errorClass)
        .setMessage(getMessage() == null ? errorClass.name() : getMessage())
        .setProviderStatus(httpStatus)
        .setProviderCode(providerCode)
        .build();
  }

  /** Unwraps completion wrappers; anything that is not a ProviderException becomes INTERNAL. */
  public static ProviderException of(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof java.util.concurrent.CompletionException
        || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ProviderException p) {
      return p;
    }
    if (cause instanceof java.util.concurrent.CancellationException) {
      return new ProviderException(ErrorClass.TIMEOUT, "call cancelled");
    }
    return new ProviderException(ErrorClass.INTERNAL, "unexpected " + cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
  }
}
