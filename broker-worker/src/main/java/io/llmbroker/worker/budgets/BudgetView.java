package io.llmbroker.worker.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/** The budgets and their published spend as a worker knows them. Implementations are thread-safe. */
public interface BudgetView {

  /** Every readable budget. */
  Collection<Budget> budgets();

  /** The latest readable spend the cost aggregator published for {@code budgetId}. */
  Optional<BudgetState> state(String budgetId);

  /** A fixed view, for tests and for workers without budgets. */
  static BudgetView of(Collection<Budget> budgets, Map<String, BudgetState> states) {
    Collection<Budget> fixed = java.util.List.copyOf(budgets);
    Map<String, BudgetState> fixedStates = Map.copyOf(states);
    return new BudgetView() {
      @Override
      public Collection<Budget> budgets() {
        return fixed;
      }

      @Override
      public Optional<BudgetState> state(String budgetId) {
        return Optional.ofNullable(fixedStates.get(budgetId));
      }
    };
  }
}
