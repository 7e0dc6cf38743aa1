package io.llmbroker.worker.pipeline;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.config.WorkerConfig;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Decides whether a decoded request can be served; a refusal is the caller's fault and is
 * answered INVALID without a provider call. Thread-safe.
 */
public final class RequestValidator {

  private final Pattern replyToAllow;
  private final String replyToRegistered;
  private final Predicate<String> registered;
  private final int maxRequestBytes;
  private final Function<String, Optional<String>> routeProblem;
  // One compiled pattern per registered app id: as many as the registry holds.
  private final Map<String, Pattern> registeredPatterns = new ConcurrentHashMap<>();

  /**
   * @param replyToAllow every {@code reply_to} must match it entirely (and be a valid service name)
   * @param replyToRegistered the {@code reply_to} of a registered app must also match this
   *     pattern, {@code {app}} standing for the app id (see {@link WorkerConfig.Intake})
   * @param registered true for the app ids registered in {@code llm.apps}
   * @param maxRequestBytes the largest encoded request accepted
   * @param routeProblem why the router cannot serve a model string, empty when it can
   */
  public RequestValidator(Pattern replyToAllow, String replyToRegistered, Predicate<String> registered,
      int maxRequestBytes, Function<String, Optional<String>> routeProblem) {
    this.replyToAllow = replyToAllow;
    this.replyToRegistered = replyToRegistered;
    this.registered = registered;
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
    Optional<String> replyToProblem = replyToProblem(request);
    if (replyToProblem.isPresent()) {
      return replyToProblem;
    }
    if (request.getMessages() == null || request.getMessages().isEmpty()) {
      return Optional.of("messages must not be empty");
    }
    return routeProblem.apply(request.getModel());
  }

  /** True when the response to {@code request} can go to {@code llm.responses.<reply_to>}. */
  public boolean replyToAllowed(LlmRequest request) {
    return replyToProblem(request).isEmpty();
  }

  private Optional<String> replyToProblem(LlmRequest request) {
    String replyTo = request.getReplyTo();
    if (replyTo == null || !replyToAllow.matcher(replyTo).matches() || !Topics.SERVICE_NAME.matcher(replyTo).matches()) {
      return Optional.of("reply_to is not allowed: '" + replyTo + "' must match " + replyToAllow.pattern()
          + " (intake.reply-to-allow)");
    }
    String app = request.getApp();
    if (app != null && registered.test(app)) {
      Pattern own = registeredPatterns.computeIfAbsent(app, id -> WorkerConfig.registeredReplyTo(replyToRegistered, id));
      if (!own.matcher(replyTo).matches()) {
        return Optional.of("reply_to is not allowed: '" + replyTo + "' is not a reply service of registered app '" + app
            + "', which must match " + replyToRegistered + " with {app} = " + app + " (intake.reply-to-registered)");
      }
    }
    return Optional.empty();
  }
}
