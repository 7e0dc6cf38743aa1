package io.llmbroker.client.batch;

/** One input line is not a valid OpenAI Batch chat request; the message names the field. */
public final class InvalidLineException extends Exception {

  private final String customId;

  InvalidLineException(String customId, String message) {
    super(message);
    this.customId = customId;
  }

  /** The line's custom_id when it could be read, else null. */
  public String customId() {
    return customId;
  }
}
