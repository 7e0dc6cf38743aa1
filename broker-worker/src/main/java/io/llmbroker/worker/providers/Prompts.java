package io.llmbroker.worker.providers;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;

/** Text views of a request shared by the adapters and the token limiter. Stateless. */
public final class Prompts {

  /** Assumed completion size when a request sets no {@code max_tokens}, for TPM admission only. */
  public static final int DEFAULT_OUTPUT_ESTIMATE = 256;

  private Prompts() {}

  /** The text parts of a message joined by newlines; images and files contribute nothing. */
  public static String text(ChatMessage message) {
    StringBuilder out = new StringBuilder();
    for (ContentPart part : message.getContent()) {
      if (part.getText() != null) {
        if (out.length() > 0) {
          out.append('\n');
        }
        out.append(part.getText());
      }
    }
    return out.toString();
  }

  /** A rough prompt size (four characters a token, the common rule of thumb), at least 1. */
  public static int estimateInputTokens(LlmRequest request) {
    long chars = 0;
    for (ChatMessage m : request.getMessages()) {
      chars += text(m).length() + 4;
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (chars + 3) / 4));
  }

  /** Prompt estimate plus the completion the request allows: what a TPM limiter reserves before a call. */
  public static int estimateTotalTokens(LlmRequest request) {
    Integer max = request.getParams() == null ? null : request.getParams().getMaxTokens();
    long total = (long) estimateInputTokens(request) + (max == null ? DEFAULT_OUTPUT_ESTIMATE : max);
    return (int) Math.min(Integer.MAX_VALUE, total);
  }

  /** The text of the last user message, or empty. */
  public static String lastUserText(LlmRequest request) {
    for (int i = request.getMessages().size() - 1; i >= 0; i--) {
      ChatMessage m = request.getMessages().get(i);
      if ("user".equals(m.getRole())) {
        return text(m);
      }
    }
    return "";
  }
}
