package io.llmbroker.worker.policy;

import io.llmbroker.avro.App;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppLookup;
import io.llmbroker.schemas.signing.RequestSigning;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Decides whether a valid request's app may make it, before any provider call. Rules, in order
 * (each refusal names its rule):
 * <ol>
 *   <li>{@code registered-app}: the app is in the registry and its record is readable; checked
 *       when the registry holds any record or {@code require-app} / {@code require-signature} is set;
 *   <li>{@code app-revoked}, {@code team}: the app is not revoked and the request names its team;
 *   <li>{@code require-signature}, {@code signature}, {@code key-revoked}, {@code replay-window}:
 *       a signed request (every request when signatures are required) is signed by a key of its
 *       app that is not revoked, created within the replay window of this worker's clock;
 *   <li>{@code models}, {@code max-priority}, {@code max-tokens}: the app's model list and ceilings.
 * </ol>
 * Identity refusals carry error class CREDENTIAL, policy refusals CALLER_FAULT. An admitted
 * request without a customer gets the app's default customer.
 *
 * <p>Thread-safe.
 */
public final class RequestPolicy {

  /** The outcome of the check. */
  public sealed interface Verdict {}

  /** The request may proceed, as {@code request} (with the app's default customer applied). */
  public record Admit(LlmRequest request) implements Verdict {}

  /** The request is answered REJECTED with {@code reason}. */
  public record Refuse(ErrorClass errorClass, String reason) implements Verdict {}

  private final AppLookup apps;
  private final boolean requireApp;
  private final boolean requireSignature;
  private final Duration replayWindow;
  private final Clock clock;

  /**
   * @param replayWindow a signed request is accepted while its created_at is within this of the clock
   */
  public RequestPolicy(AppLookup apps, boolean requireApp, boolean requireSignature, Duration replayWindow, Clock clock) {
    this.apps = apps;
    this.requireApp = requireApp;
    this.requireSignature = requireSignature;
    this.replayWindow = replayWindow;
    this.clock = clock;
  }

  /**
   * @param topic the topic the request was read from: a signature covers it, so a request moved
   *     to another priority class no longer verifies
   */
  public Verdict check(LlmRequest request, String topic, Priority priority) {
    String appId = request.getApp();
    Optional<AppEntry> entry = apps.find(appId);
    if (entry.isEmpty()) {
      if (!requireApp && !requireSignature && apps.isEmpty()) {
        return new Admit(request);
      }
      return credential("app '" + appId + "' is not registered (rule: registered-app)");
    }
    if (entry.get() instanceof AppEntry.Unreadable) {
      return credential("app '" + appId + "' has a registry record that cannot be read (rule: registered-app)");
    }
    AppEntry.Registered registered = (AppEntry.Registered) entry.get();
    App app = registered.app();
    if (app.getRevokedAt() != null) {
      return credential("app '" + appId + "' is revoked (rule: app-revoked)");
    }
    if (!app.getTeam().equals(request.getTeam())) {
      return credential("team '" + request.getTeam() + "' is not the team of app '" + appId + "' (rule: team)");
    }
    if (request.getSignature() != null || requireSignature) {
      Optional<Refuse> identity = signatureProblem(request, topic, registered);
      if (identity.isPresent()) {
        return identity.get();
      }
    }
    if (!app.getModels().contains("*") && !app.getModels().contains(request.getModel())) {
      return callerFault("model '" + request.getModel() + "' is not in the models of app '" + appId + "' "
          + app.getModels() + " (rule: models)");
    }
    if (priority.ordinal() < app.getMaxPriority().ordinal()) {
      return callerFault("priority " + priority + " is above the ceiling " + app.getMaxPriority() + " of app '" + appId
          + "' (rule: max-priority)");
    }
    if (app.getMaxTokens() != null) {
      Integer maxTokens = request.getParams() == null ? null : request.getParams().getMaxTokens();
      if (maxTokens == null) {
        return callerFault("max_tokens must be set: app '" + appId + "' has a ceiling of " + app.getMaxTokens()
            + " (rule: max-tokens)");
      }
      if (maxTokens > app.getMaxTokens()) {
        return callerFault("max_tokens " + maxTokens + " is above the ceiling " + app.getMaxTokens() + " of app '"
            + appId + "' (rule: max-tokens)");
      }
    }
    if (request.getCustomer() == null && app.getDefaultCustomer() != null) {
      return new Admit(LlmRequest.newBuilder(request).setCustomer(app.getDefaultCustomer()).build());
    }
    return new Admit(request);
  }

  private Optional<Refuse> signatureProblem(LlmRequest request, String topic, AppEntry.Registered app) {
    if (request.getSignature() == null) {
      return Optional.of(credential("request is not signed (rule: require-signature)"));
    }
    String keyId = request.getSignature().getKeyId();
    Optional<AppEntry.ActiveKey> key = app.key(keyId);
    if (key.isEmpty()) {
      return Optional.of(credential("key '" + keyId + "' is not a key of app '" + request.getApp() + "' (rule: signature)"));
    }
    if (key.get().revoked()) {
      return Optional.of(credential("key '" + keyId + "' of app '" + request.getApp() + "' is revoked (rule: key-revoked)"));
    }
    long age = clock.millis() - request.getCreatedAt();
    if (Math.abs(age) > replayWindow.toMillis()) {
      return Optional.of(credential("created_at is " + Duration.ofMillis(age) + " from this worker's clock, outside the "
          + "replay window of " + replayWindow + " (rule: replay-window)"));
    }
    if (!RequestSigning.verify(request, topic, key.get().publicKey())) {
      return Optional.of(credential("signature does not verify with key '" + keyId + "' of app '" + request.getApp()
          + "' (rule: signature)"));
    }
    return Optional.empty();
  }

  private static Refuse credential(String reason) {
    return new Refuse(ErrorClass.CREDENTIAL, reason);
  }

  private static Refuse callerFault(String reason) {
    return new Refuse(ErrorClass.CALLER_FAULT, reason);
  }
}
