package io.llmbroker.costs.query;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Answers cost queries: the whole answer, or this instance's part of it. Implementations are thread-safe. */
public interface CostAnswerer {

  /**
   * The complete answer to {@code query}.
   *
   * @param now the time the month forecast is made at
   * @throws AnswerUnavailableException when part of the state cannot be read; never a partial answer
   */
  CostAnswer answer(CostQuery query, Instant now);

  /**
   * This instance's part of the answer over {@code partitions} (all it hosts when empty); see
   * {@link CostQueryEngine#rows}.
   *
   * @throws AnswerUnavailableException when one of them cannot be read here
   */
  List<CostRow> part(CostQuery query, Set<Integer> partitions);

  /** Part of the state cannot be read now; the message names the instance and why. */
  final class AnswerUnavailableException extends RuntimeException {
    public AnswerUnavailableException(String message) {
      super(message);
    }
  }
}
