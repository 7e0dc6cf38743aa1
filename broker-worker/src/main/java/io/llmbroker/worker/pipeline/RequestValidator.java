package io.llmbroker.worker.pipeline;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.schemas.Topics;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Decides whether a decoded request can be served; a refusal is the caller's fault and is
 * answered INVALID without a provider call. Thread-safe.
 */
public final class RequestValidator {

  private final Pattern replyToAllow;
  private final int maxRequestBytes;
  private final Function<String, Optional<String>> routeProblem;

  /**
   * @param replyToAllow {@code reply_to} must match it entirely (and be a valid service name)
   * @param maxRequestBytes the largest encoded request accepted
   * @param routeProblem why the router cannot serve a model string, empty when it can
   */
  public RequestValidator(Pattern replyToAllow, int maxRequestBytes, Function<String, Optional<String>> routeProblem) {
    this.replyToAllow = replyToAllow;
    this.maxRequestBytes = maxRequestBytes;
    this.routeProblem = routeProblem;
  }

  /** Why the request cannot be served, or empty when it can. */
  public Optional<String> problem(LlmRequest request, int encodedBytes) {
    if (encodedBytes > maxRequestBytes) {
      return Optional.of("request is " + encodedBytes + " bytes, over the limit of " + maxRequestBytes);
    }
    for (var field : new String[][] {
        {"id", request.getId()}, {"team", request.getTeam()}, {"app", request.getApp()},
        {"model", request.getModel()}, {"reply_to", request.getReplyTo()}}) {
      if (field[1] == null || field[1].isBlank()) {
        return Optional.of(field[0] + " must not be blank");
      }
    }
    if (!replyToAllowed(request.getReplyTo())) {
      return Optional.of("reply_to is not allowed: '" + request.getReplyTo() + "' must match " + replyToAllow.pattern());
    }
    if (request.getMessages() == null || request.getMessages().isEmpty()) {
      return Optional.of("messages must not be empty");
    }
    return routeProblem.apply(request.getModel());
  }

  /** True when a response can go to {@code llm.responses.<replyTo>}. */
  public boolean replyToAllowed(String replyTo) {
    return replyTo != null
        && replyToAllow.matcher(replyTo).matches()
        && Topics.SERVICE_NAME.matcher(replyTo).matches();
  }
}
