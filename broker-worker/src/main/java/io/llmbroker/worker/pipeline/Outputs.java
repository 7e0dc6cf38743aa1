package io.llmbroker.worker.pipeline;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.runtime.redaction.Secrets;
import io.llmbroker.worker.routing.CallOutcome;
import java.util.List;
import java.util.Optional;

/**
 * The three outputs of one request's final outcome: the response for the caller, the usage
 * event when a provider was called (it cost or could have cost money), and the audit record
 * with every attempt. All three are built with secrets redacted ({@link Secrets}): credential-
 * shaped tag values and error texts never reach a topic.
 */
public record Outputs(LlmResponse response, Optional<UsageEvent> usage, AuditRecord audit) {

  /**
   * What the worker knows about a request when its outcome is decided.
   *
   * @param receivedAt epoch millis at which the worker read the request
   */
  public record Context(LlmRequest request, Priority priority, long receivedAt, String worker) {}

  /** Outputs of a request refused before any provider call (INVALID, EXPIRED, REJECTED). */
  public static Outputs refused(Context context, ResponseStatus status, ErrorClass errorClass, String message,
      long now) {
    ErrorInfo error = ErrorInfo.newBuilder().setErrorClass(errorClass).setMessage(message).build();
    LlmResponse response = base(context, status, now)
        .setError(error)
        .setTimings(timings(context, now, Optional.empty(), 0))
        .build();
    return redacted(response, Optional.empty(), audit(context, response, List.of(), now));
  }

  /** Outputs of a request the router ran to its outcome; {@code status} is OK, ERROR or EXPIRED. */
  public static Outputs routed(Context context, CallOutcome outcome, ResponseStatus status, long now) {
    LlmResponse.Builder response = base(context, status, now)
        .setAttempts(outcome.attempts().size())
        .setTimings(timings(context, now, outcome.firstCallAt(), outcome.providerMillis()));
    outcome.completion().ifPresent(c -> response
        .setProvider(c.provider()).setModel(c.model()).setDeployment(c.deployment())
        .setContent(c.content())
        .setToolCalls(c.toolCalls() == null || c.toolCalls().isEmpty() ? null : c.toolCalls())
        .setFinishReason(c.finishReason())
        .setUsage(c.usage())
        .setCostMicros(c.costMicros()));
    Optional<Attempt> last = outcome.attempts().isEmpty()
        ? Optional.empty() : Optional.of(outcome.attempts().get(outcome.attempts().size() - 1));
    if (outcome.completion().isEmpty()) {
      last.ifPresent(a -> response.setProvider(a.getProvider()).setModel(a.getModel()).setDeployment(a.getDeployment()));
      response.setError(outcome.error().orElseThrow());
    }
    LlmResponse built = response.build();
    Optional<UsageEvent> usage = last.map(a -> usage(context, built, now));
    return redacted(built, usage, audit(context, built, outcome.attempts(), now));
  }

  /** Secrets in tags and error texts never leave the worker: not to callers, llm.usage or llm.audit. */
  private static Outputs redacted(LlmResponse response, Optional<UsageEvent> usage, AuditRecord audit) {
    return new Outputs(Secrets.response(response), usage.map(Secrets::usage), Secrets.audit(audit));
  }

  private static LlmResponse.Builder base(Context context, ResponseStatus status, long now) {
    LlmRequest request = context.request();
    return LlmResponse.newBuilder()
        .setRequestId(request.getId())
        .setStatus(status)
        .setPriority(context.priority())
        .setBatchId(request.getBatchId())
        .setCustomId(request.getCustomId())
        .setTrace(request.getTrace())
        .setUsage(TokenUsage.newBuilder().build())
        .setCompletedAt(now);
  }

  private static Timings timings(Context context, long now, Optional<Long> firstCallAt, long providerMillis) {
    long created = context.request().getCreatedAt();
    return Timings.newBuilder()
        .setReceivedAt(context.receivedAt())
        .setQueuedMs(Math.max(0, firstCallAt.orElse(now) - created))
        .setProviderMs(Math.max(0, providerMillis))
        .setTotalMs(Math.max(0, now - created))
        .build();
  }

  private static UsageEvent usage(Context context, LlmResponse response, long now) {
    LlmRequest request = context.request();
    return UsageEvent.newBuilder()
        .setRequestId(request.getId())
        .setTeam(request.getTeam())
        .setApp(request.getApp())
        .setCustomer(request.getCustomer())
        .setTags(request.getTags())
        .setProvider(response.getProvider())
        .setModel(response.getModel())
        .setDeployment(response.getDeployment())
        .setStatus(response.getStatus())
        .setUsage(response.getUsage())
        .setCostMicros(response.getCostMicros())
        .setBatchId(request.getBatchId())
        .setOccurredAt(now)
        .setLatencyMs(response.getTimings().getProviderMs())
        .build();
  }

  private static AuditRecord audit(Context context, LlmResponse response, List<Attempt> attempts, long now) {
    return AuditRecord.newBuilder()
        .setRequestId(context.request().getId())
        .setPriority(context.priority())
        .setRequest(context.request())
        .setResponse(response)
        .setAttempts(attempts)
        .setWorker(context.worker())
        .setRecordedAt(now)
        .build();
  }
}
