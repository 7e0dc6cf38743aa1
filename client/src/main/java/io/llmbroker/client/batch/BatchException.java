package io.llmbroker.client.batch;

/** A batch operation cannot proceed: unknown batch, mismatched re-submission, unreadable state, Kafka failure. */
public final class BatchException extends IllegalStateException {

  public BatchException(String message) {
    super(message);
  }

  public BatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
