package io.llmbroker.worker.routing;

import io.llmbroker.avro.Attempt;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import java.util.List;
import java.util.Optional;

/**
 * The final outcome of routing one request: a completion, or the classified error of the
 * last attempt; every attempt made, in order.
 *
 * @param firstCallAt epoch millis of the first provider call; empty when none was made
 * @param providerMillis time spent in provider calls, all attempts together
 */
public record CallOutcome(
    Optional<Completion> completion,
    Optional<ErrorInfo> error,
    List<Attempt> attempts,
    Optional<Long> firstCallAt,
    long providerMillis) {

  public CallOutcome {
    if (completion.isPresent() == error.isPresent()) {
      throw new IllegalArgumentException("exactly one of completion and error must be present");
    }
    attempts = List.copyOf(attempts);
  }

  /**
   * What the deployment that succeeded answered.
   *
   * @param costMicros priced from the config's price table, in micro-dollars
   */
  public record Completion(
      String provider,
      String model,
      String deployment,
      String content,
      List<ToolCall> toolCalls,
      String finishReason,
      TokenUsage usage,
      long costMicros) {}
}
