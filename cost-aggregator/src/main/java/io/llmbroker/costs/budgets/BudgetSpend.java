package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetAlert;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.BudgetUsage;
import io.llmbroker.runtime.budgets.BudgetRules;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How one budget's period-to-date state moves: pure functions, so the processor only stores and
 * forwards.
 */
final class BudgetSpend {

  /** A new state and the alerts its move crossed (each threshold once per period). */
  record Step(BudgetState state, List<BudgetAlert> alerts) {}

  private BudgetSpend() {}

  /**
   * Adds {@code usage}'s cost to {@code current} and marks its {@code llm.usage} offset counted;
   * empty when it belongs to a period before the current one (late usage never reopens a closed
   * period, and workers drop what they hold of an earlier period).
   */
  static Optional<Step> add(Budget budget, BudgetState current, BudgetUsage usage, long now) {
    BudgetRules.Window period = BudgetRules.window(budget.getPeriod(), usage.getUsage().getOccurredAt());
    if (current != null && current.getPeriodStart() > period.start()) {
      return Optional.empty();
    }
    BudgetState base = current == null || current.getPeriodStart() < period.start() ? fresh(period) : current;
    Map<String, Long> counted = new HashMap<>(base.getCountedUsageOffsets());
    counted.merge(Integer.toString(usage.getUsagePartition()), usage.getUsageOffset(), Math::max);
    Step step = move(budget, base, base.getSpentMicros() + usage.getUsage().getCostMicros(), now);
    return Optional.of(new Step(BudgetState.newBuilder(step.state()).setCountedUsageOffsets(counted).build(),
        step.alerts()));
  }

  /**
   * The state as of {@code now} without new spend: a fresh period once the current one ended, and
   * a limit or thresholds that changed applied. Empty when nothing changed.
   */
  static Optional<Step> refresh(Budget budget, BudgetState current, long now) {
    BudgetRules.Window period = BudgetRules.window(budget.getPeriod(), now);
    if (current.getPeriodStart() < period.start()) {
      return Optional.of(move(budget, fresh(period), 0, now));
    }
    Step step = move(budget, current, current.getSpentMicros(), now);
    boolean same = step.alerts().isEmpty() && step.state().getLimitMicros() == current.getLimitMicros()
        && step.state().getState() == current.getState();
    return same ? Optional.empty() : Optional.of(step);
  }

  private static BudgetState fresh(BudgetRules.Window period) {
    return BudgetState.newBuilder().setBudgetId("").setPeriodStart(period.start()).setPeriodEnd(period.end()).build();
  }

  private static Step move(Budget budget, BudgetState base, long spent, long now) {
    long limit = budget.getLimitMicros();
    List<Integer> alerted = new ArrayList<>(base.getAlertedThresholds());
    List<BudgetAlert> alerts = new ArrayList<>();
    budget.getAlertThresholds().stream().sorted().distinct()
        .filter(t -> !alerted.contains(t) && spent * 100 >= (long) t * limit)
        .forEach(t -> {
          alerted.add(t);
          alerts.add(BudgetAlert.newBuilder()
              .setBudgetId(budget.getId()).setScope(budget.getScope()).setMode(budget.getMode()).setThreshold(t)
              .setPeriodStart(base.getPeriodStart()).setPeriodEnd(base.getPeriodEnd())
              .setSpentMicros(spent).setLimitMicros(limit).setOccurredAt(now)
              .build());
        });
    BudgetState state = BudgetState.newBuilder(base)
        .setBudgetId(budget.getId())
        .setSpentMicros(spent)
        .setLimitMicros(limit)
        .setPercent(BudgetRules.percent(spent, limit))
        .setState(BudgetRules.status(budget, spent))
        .setAlertedThresholds(alerted)
        .setUpdatedAt(now)
        .build();
    return new Step(state, alerts);
  }
}
