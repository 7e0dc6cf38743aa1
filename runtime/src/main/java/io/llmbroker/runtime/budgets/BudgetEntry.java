package io.llmbroker.runtime.budgets;

import io.llmbroker.avro.Budget;
import java.util.Optional;
import org.apache.kafka.common.serialization.Deserializer;

/** One key of {@code llm.budgets} as read: a usable budget or a record that could not be read. */
public sealed interface BudgetEntry {

  /** A budget that passed {@link BudgetRules#problem}. */
  record Readable(Budget budget) implements BudgetEntry {}

  /** A record that could not be decoded or validated: it counts nothing and refuses nothing. */
  record Unreadable(String reason) implements BudgetEntry {}

  /** Reads the bytes stored under {@code key}; never throws for bad bytes. */
  static BudgetEntry read(String key, byte[] value, String topic, Deserializer<Budget> decoder) {
    Budget budget;
    try {
      budget = decoder.deserialize(topic, value);
    } catch (RuntimeException e) {
      return new Unreadable("cannot decode: " + e.getMessage());
    }
    Optional<String> problem = BudgetRules.problem(key, budget);
    return problem.<BudgetEntry>map(Unreadable::new).orElseGet(() -> new Readable(budget));
  }
}
