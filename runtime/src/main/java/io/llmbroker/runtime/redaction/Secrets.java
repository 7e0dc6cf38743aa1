package io.llmbroker.runtime.redaction;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.UsageEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from what the services publish and archive: request tags and error texts,
 * the free-form strings a record carries besides the prompt itself.
 *
 * <ul>
 *   <li>By key: a tag whose key contains {@code api_key} (or {@code apikey}, {@code api-key}),
 *       {@code authorization}, {@code token}, {@code password}, {@code passwd}, {@code secret} or
 *       {@code credential}, in any case, has its whole value replaced.
 *   <li>By value: in any other tag value and in error messages, every substring shaped like a
 *       credential is replaced: {@code Bearer <token>}, OpenAI / Anthropic
 *       style {@code sk-...} keys, AWS access key ids ({@code AKIA...}, {@code ASIA...}), Google
 *       API keys ({@code AIza...}), GitHub ({@code ghp_...}) and Slack ({@code xox?-...}) tokens,
 *       and JSON Web Tokens.
 * </ul>
 * Replacements read {@value #REDACTED}, so a reader sees that something was there. Records are
 * never modified: a changed copy is returned, or the same instance when nothing matched. The
 * shapes are a deliberate short list of well-known formats; a secret of no known shape under an
 * innocent key is not recognised. Stateless and thread-safe.
 */
public final class Secrets {

  public static final String REDACTED = "[REDACTED]";

  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(api[_-]?key|authorization|token|password|passwd|secret|credential).*");
  private static final Pattern SECRET_VALUE = Pattern.compile(String.join("|",
      "\\b(?i:bearer)\\s+[A-Za-z0-9._~+/=-]{8,}",
      "\\bsk-[A-Za-z0-9_-]{8,}",
      "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b",
      "\\bAIza[0-9A-Za-z_-]{16,}",
      "\\bgh[pousr]_[A-Za-z0-9]{20,}",
      "\\bxox[abposr]-[A-Za-z0-9-]{10,}",
      "\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}"));

  private Secrets() {}

  /** True when a tag with this key holds a secret whatever its value. */
  public static boolean secretKey(CharSequence key) {
    return SECRET_KEY.matcher(key).matches();
  }

  /** {@code text} with every credential-shaped substring replaced; null stays null. */
  public static String text(String text) {
    if (text == null) {
      return null;
    }
    Matcher matcher = SECRET_VALUE.matcher(text);
    return matcher.find() ? matcher.replaceAll(REDACTED) : text;
  }

  /** The tags with secret keys blanked and credential-shaped substrings of other values replaced. */
  public static Map<String, String> tags(Map<String, String> tags) {
    Map<String, String> redacted = new LinkedHashMap<>();
    boolean changed = false;
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      String value = secretKey(tag.getKey()) ? REDACTED : text(tag.getValue());
      changed |= !value.equals(tag.getValue());
      redacted.put(tag.getKey(), value);
    }
    return changed ? redacted : tags;
  }

  /** The request with its tags redacted. */
  public static LlmRequest request(LlmRequest request) {
    Map<String, String> tags = tags(request.getTags());
    return tags == request.getTags() ? request : LlmRequest.newBuilder(request).setTags(tags).build();
  }

  /** The response with its error message redacted. */
  public static LlmResponse response(LlmResponse response) {
    ErrorInfo error = error(response.getError());
    return error == response.getError() ? response : LlmResponse.newBuilder(response).setError(error).build();
  }

  /** The usage event with its tags redacted. */
  public static UsageEvent usage(UsageEvent usage) {
    Map<String, String> tags = tags(usage.getTags());
    return tags == usage.getTags() ? usage : UsageEvent.newBuilder(usage).setTags(tags).build();
  }

  /** The audit record with its request's tags and every error message redacted. */
  public static AuditRecord audit(AuditRecord audit) {
    LlmRequest request = request(audit.getRequest());
    LlmResponse response = response(audit.getResponse());
    List<Attempt> attempts = audit.getAttempts().stream().map(Secrets::attempt).toList();
    boolean attemptsChanged = false;
    for (int i = 0; i < attempts.size(); i++) {
      attemptsChanged |= attempts.get(i) != audit.getAttempts().get(i);
    }
    if (request == audit.getRequest() && response == audit.getResponse() && !attemptsChanged) {
      return audit;
    }
    return AuditRecord.newBuilder(audit).setRequest(request).setResponse(response).setAttempts(attempts).build();
  }

  private static Attempt attempt(Attempt attempt) {
    ErrorInfo error = error(attempt.getError());
    return error == attempt.getError() ? attempt : Attempt.newBuilder(attempt).setError(error).build();
  }

  private static ErrorInfo error(ErrorInfo error) {
    if (error == null) {
      return null;
    }
    String message = text(error.getMessage());
    String code = text(error.getProviderCode());
    return message.equals(error.getMessage()) && Objects.equals(code, error.getProviderCode())
        ? error : ErrorInfo.newBuilder(error).setMessage(message).setProviderCode(code).build();
  }
}
