package io.llmbroker.client;

/** Kafka refused or failed to store a request, so no worker will ever see it. */
public final class EnqueueException extends RuntimeException {

  public EnqueueException(String message, Throwable cause) {
    super(message, cause);
  }
}
