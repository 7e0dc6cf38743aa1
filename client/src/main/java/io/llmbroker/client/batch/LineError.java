package io.llmbroker.client.batch;

/**
 * Why one input line cannot be enqueued.
 *
 * @param line 1-based line number in the input file
 * @param customId the line's custom_id when it could be read, else null
 * @param reason what is wrong, naming the field
 */
public record LineError(long line, String customId, String reason) {

  @Override
  public String toString() {
    return "line " + line + ": " + reason;
  }
}
