package io.llmbroker.worker.routing;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Executes one valid request against the deployments its model alias maps to: lane
 * admission by priority, per-attempt timeouts, retries with backoff, fallbacks, cool-down.
 * This is the seam between the Kafka side of the worker (consuming, offsets, publishing)
 * and the provider side (lanes, routing, adapters).
 *
 * <p>Thread-safe. The returned future never completes exceptionally: every failure is a
 * {@link CallOutcome} carrying a classified error.
 */
public interface CallRouter extends AutoCloseable {

  /**
   * Why {@code model} cannot be routed, naming the rule it breaks; empty when it is a configured
   * alias or deployment, or an allowed {@code provider/model}.
   */
  Optional<String> routeProblem(String model);

  /**
   * The models a request naming {@code model} may be served by (each deployment it may fall back
   * to), as usage records name them; empty when it cannot be routed.
   */
  default java.util.List<String> servingModels(String model) {
    return java.util.List.of(model);
  }

  /**
   * Runs the request to its final outcome.
   *
   * @param deadlineMillis epoch millis after which no new attempt starts and an attempt in
   *     flight is cancelled; {@code Long.MAX_VALUE} for none
   * @return the outcome; cancelling it hands the request back: it makes no further provider
   *     call, so that the partition's next owner can serve it without a duplicate call
   */
  CompletableFuture<CallOutcome> call(LlmRequest request, Priority priority, long deadlineMillis);

  /**
   * Withdraws a request that is not calling a provider right now: it leaves its lane queue or
   * backoff and {@code call} is cancelled. A request whose provider call is in progress is not
   * withdrawn (false): the call runs to its end; an answer is used as usual, while a failure that
   * would need another attempt cancels {@code call} instead of trying again.
   *
   * @param call a future returned by {@link #call}
   * @return true when {@code call} is cancelled now
   */
  boolean withdraw(CompletableFuture<CallOutcome> call);

  /** True when no lane has more calls in progress than this worker's current share of its cap. */
  boolean withinShares();

  /**
   * Re-divides every deployment's global concurrency cap after a rebalance: this worker
   * owns the request partitions with the given indices out of {@code totalPartitions}
   * (indices count the partitions of all request topics, partition-major: partition 0 of each
   * topic in priority order, then partition 1, ...).
   */
  void assign(java.util.Set<Integer> partitionIndices, int totalPartitions);

  @Override
  void close();
}
