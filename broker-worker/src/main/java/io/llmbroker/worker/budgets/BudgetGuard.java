package io.llmbroker.worker.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.worker.limits.CapDivision;
import io.llmbroker.worker.pricing.PriceTable;
import io.llmbroker.worker.providers.UsageEstimator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Refuses requests under an exhausted hard budget and reserves the maximum cost of those it
 * admits until they settle.
 *
 * <p>A request falls under every HARD budget that {@link BudgetRules#covers covers} it, its model
 * matched against every model it may be served by. Its maximum cost is its prompt's estimated
 * tokens ({@link UsageEstimator}) plus its {@code max_tokens} (or {@code defaultMaxOutputTokens})
 * at the price of the dearest of those models. It is admitted when, for each of its budgets,
 * {@code reserved + maximum <= share of (limit - spent)}: {@code spent} is the cost aggregator's
 * latest state for the budget's current period by this worker's clock (0 when that state is of an
 * earlier period, or none arrived yet), {@code reserved} the maximum costs of this worker's
 * admitted requests that have not settled, and the share is the part of the room that the request
 * partitions this worker owns hold ({@link CapDivision}, as for caps: the shares of all workers
 * sum to exactly the room). Admission and reservation are one atomic step, so the workers
 * together never reserve more than the room they see; spend not yet in the published state makes
 * the bound in the README. Before its first assignment a worker owns the whole room.
 *
 * <p>Thread-safe.
 */
public final class BudgetGuard {

  /** The outcome of a check. */
  public sealed interface Verdict {}

  /** The request may proceed; settle its reservation once it is answered (or withdrawn). */
  public record Admit(Reservation reservation) implements Verdict {}

  /** The request is answered REJECTED, error class QUOTA, with {@code reason}. */
  public record Refuse(String reason) implements Verdict {}

  /** A reservation of a request's maximum cost against its budgets. */
  public interface Reservation {
    /** Releases the reservation: the request's real cost reaches the budgets through {@code llm.usage}. Idempotent. */
    void settle();
  }

  private static final Reservation NOTHING = () -> { };

  private final BudgetView view;
  private final Function<String, List<String>> servingModels;
  private final PriceTable prices;
  private final int defaultMaxOutputTokens;
  private final Clock clock;
  private final Map<String, Long> reserved = new HashMap<>();
  private final AtomicLong reservedTotal = new AtomicLong();
  private final MeterRegistry meters;
  private volatile Assignment assignment;

  private record Assignment(Set<Integer> partitions, int total) {}

  /**
   * @param servingModels the models a request naming a model may be served by (the router's view)
   */
  public BudgetGuard(BudgetView view, Function<String, List<String>> servingModels, PriceTable prices,
      int defaultMaxOutputTokens, Clock clock, MeterRegistry meters) {
    this.view = view;
    this.servingModels = servingModels;
    this.prices = prices;
    this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    this.clock = clock;
    this.meters = meters;
    Gauge.builder("llm_broker_worker_budget_reserved_micros", reservedTotal, AtomicLong::get)
        .description("Maximum cost of this worker's admitted requests under hard budgets, not yet settled")
        .register(meters);
  }

  /** Checks {@code request} (after its app's policy, with its customer set) against the hard budgets. */
  public Verdict check(LlmRequest request) {
    List<Budget> budgets = view.budgets().stream()
        .filter(b -> b.getMode() == BudgetMode.HARD)
        .toList();
    if (budgets.isEmpty()) {
      return new Admit(NOTHING);
    }
    List<String> models = servingModels.apply(request.getModel());
    // A budget on a model covers requests naming it as well as requests that may be served by it.
    Set<String> matchable = new HashSet<>(models);
    matchable.add(request.getModel());
    List<Budget> covering = budgets.stream()
        .filter(b -> BudgetRules.covers(b, request.getTeam(), request.getApp(), request.getCustomer(), matchable,
            request.getTags()))
        .toList();
    if (covering.isEmpty()) {
      return new Admit(NOTHING);
    }
    long maximum = maxCostMicros(request, models);
    long now = clock.millis();
    synchronized (reserved) {
      for (Budget budget : covering) {
        BudgetRules.Window period = BudgetRules.window(budget.getPeriod(), now);
        long spent = spentIn(budget.getId(), period);
        long held = reserved.getOrDefault(budget.getId(), 0L);
        long room = room(budget.getLimitMicros() - spent);
        if (held + maximum > room) {
          refused(budget);
          return new Refuse(reason(budget, period, spent, held, maximum, room));
        }
      }
      covering.forEach(b -> reserved.merge(b.getId(), maximum, Long::sum));
      reservedTotal.addAndGet(maximum * covering.size());
    }
    List<String> ids = covering.stream().map(Budget::getId).toList();
    AtomicBoolean settled = new AtomicBoolean();
    return new Admit(() -> {
      if (settled.compareAndSet(false, true)) {
        release(ids, maximum);
      }
    });
  }

  /**
   * This worker now owns the request partitions with the given indices out of {@code totalPartitions}
   * (numbered as for the caps): its share of every budget's room follows.
   */
  public void assign(Set<Integer> partitionIndices, int totalPartitions) {
    if (totalPartitions < 1) {
      throw new IllegalArgumentException("totalPartitions must be >= 1: " + totalPartitions);
    }
    assignment = new Assignment(Set.copyOf(partitionIndices), totalPartitions);
  }

  private long room(long remaining) {
    Assignment owned = assignment;
    if (remaining <= 0 || owned == null) {
      return remaining;
    }
    return CapDivision.slots(remaining, owned.partitions(), owned.total());
  }

  /** The largest cost the request can run up on any of {@code models}: 0 when none is priced. */
  long maxCostMicros(LlmRequest request, List<String> models) {
    Integer maxTokens = request.getParams() == null ? null : request.getParams().getMaxTokens();
    int output = maxTokens == null ? defaultMaxOutputTokens : Math.max(0, maxTokens);
    long max = 0;
    for (String model : models) {
      TokenUsage usage = TokenUsage.newBuilder()
          .setInputTokens(UsageEstimator.promptTokens(request, model)).setOutputTokens(output).build();
      max = Math.max(max, prices.quote(model, usage).orElse(0L));
    }
    return max;
  }

  private long spentIn(String budgetId, BudgetRules.Window period) {
    Optional<BudgetState> state = view.state(budgetId);
    // A state of an earlier period says nothing about this one: a new period starts at zero.
    return state.filter(s -> s.getPeriodEnd() > period.start()).map(BudgetState::getSpentMicros).orElse(0L);
  }

  private void release(List<String> ids, long maximum) {
    synchronized (reserved) {
      for (String id : ids) {
        reserved.computeIfPresent(id, (k, held) -> held - maximum <= 0 ? null : held - maximum);
      }
      reservedTotal.addAndGet(-maximum * ids.size());
    }
  }

  private void refused(Budget budget) {
    Counter.builder("llm_broker_worker_budget_refusals").description("Requests refused by a hard budget")
        .tag("budget", budget.getId()).register(meters).increment();
  }

  private static String reason(Budget budget, BudgetRules.Window period, long spent, long held, long maximum, long room) {
    String head = "budget '" + budget.getId() + "' (" + scope(budget.getScope()) + ", per " + budget.getPeriod() + ") ";
    String tail = "; resets at " + Instant.ofEpochMilli(period.end()) + " (rule: budget)";
    if (spent >= budget.getLimitMicros()) {
      return head + "is exhausted: spent " + BudgetRules.usd(spent) + " of limit " + BudgetRules.usd(budget.getLimitMicros())
          + tail;
    }
    return head + "has no room for this request: spent " + BudgetRules.usd(spent) + " of limit "
        + BudgetRules.usd(budget.getLimitMicros()) + "; this request's maximum " + BudgetRules.usd(maximum)
        + " plus " + BudgetRules.usd(held) + " reserved by requests in progress exceeds this worker's share "
        + BudgetRules.usd(Math.max(0, room)) + " of what is left" + tail;
  }

  private static String scope(BudgetScope scope) {
    StringBuilder s = new StringBuilder();
    append(s, "team", scope.getTeam());
    append(s, "app", scope.getApp());
    append(s, "customer", scope.getCustomer());
    append(s, "model", scope.getModel());
    return s.toString();
  }

  private static void append(StringBuilder s, String name, String value) {
    if (value != null) {
      s.append(s.length() == 0 ? "" : ", ").append(name).append(" '").append(value).append('\'');
    }
  }
}
