package io.llmbroker.worker.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.worker.limits.CapDivision;
import io.llmbroker.worker.pricing.PriceTable;
import io.llmbroker.worker.providers.UsageEstimator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
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
 * Refuses requests under an exhausted hard budget, reserves the maximum cost of those it admits
 * until their usage is published, and then holds their real cost until the published state counts it.
 *
 * <p>A request falls under every HARD budget that {@link BudgetRules#covers covers} it, its model
 * matched against every model it may be served by. Its maximum cost is its prompt's estimated
 * tokens ({@link UsageEstimator}) plus its {@code max_tokens} (or {@code defaultMaxOutputTokens})
 * at the price of the dearest of those models. It is admitted when, for each of its budgets,
 * {@code reserved + uncounted + maximum <= share of (limit - spent)}: {@code spent} is the cost
 * aggregator's latest state for the budget's current period by this worker's clock (0 when that
 * state is of an earlier period, or none arrived yet), {@code reserved} the maximum costs of this
 * worker's admitted requests whose usage is not published yet, {@code uncounted} the real cost of
 * this worker's published usage that the state it holds does not count yet (an entry per usage
 * record, dropped once the state's {@code counted_usage_offsets} reach its {@code llm.usage}
 * offset or a newer period starts), and the share is the part of the room that the request
 * partitions this worker owns hold ({@link CapDivision}, as for caps: the shares of all workers
 * sum to exactly the room). Admission and reservation are one atomic step, so no spend of this
 * worker is ever invisible to it; what remains makes the bound in the README. Before its first
 * assignment a worker owns the whole room.
 *
 * <p>Thread-safe.
 */
public final class BudgetGuard {

  /** The outcome of a check. */
  public sealed interface Verdict {}

  /** The request may proceed; settle or release its reservation once it is answered (or withdrawn). */
  public record Admit(Reservation reservation) implements Verdict {}

  /** The request is answered REJECTED, error class QUOTA, with {@code reason}. */
  public record Refuse(String reason) implements Verdict {}

  /** A reservation of a request's maximum cost against its budgets. The first of its calls wins; the others do nothing. */
  public interface Reservation {
    /** Nothing reserved: for requests under no hard budget. */
    Reservation NONE = new Reservation() {
      @Override
      public void settle(UsageEvent usage, int usagePartition, long usageOffset) {}

      @Override
      public void release() {}
    };

    /**
     * The request's usage was published at {@code usagePartition} and {@code usageOffset} of
     * {@code llm.usage}: its real cost replaces the reservation until the state counts that offset.
     */
    void settle(UsageEvent usage, int usagePartition, long usageOffset);

    /** Releases the reservation with no spend held: no call was made, or no usage was published. */
    void release();
  }

  /** Published usage of one budget that the state this worker holds may not count yet. */
  private record Uncounted(int partition, long offset, long costMicros, long periodStart) {}

  private final BudgetView view;
  private final Function<String, List<String>> servingModels;
  private final PriceTable prices;
  private final int defaultMaxOutputTokens;
  private final Clock clock;
  private final Map<String, Long> reserved = new HashMap<>();
  private final Map<String, List<Uncounted>> uncounted = new HashMap<>();
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
        .description("Maximum cost of this worker's admitted requests under hard budgets whose usage is not written yet")
        .register(meters);
  }

  /** Checks {@code request} (after its app's policy, with its customer set) against the hard budgets. */
  public Verdict check(LlmRequest request) {
    List<Budget> budgets = view.budgets().stream()
        .filter(b -> b.getMode() == BudgetMode.HARD)
        .toList();
    if (budgets.isEmpty()) {
      return new Admit(Reservation.NONE);
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
      return new Admit(Reservation.NONE);
    }
    long maximum = maxCostMicros(request, models);
    long now = clock.millis();
    synchronized (reserved) {
      for (Budget budget : covering) {
        BudgetRules.Window period = BudgetRules.window(budget.getPeriod(), now);
        long spent = spentIn(budget.getId(), period);
        long held = reserved.getOrDefault(budget.getId(), 0L) + uncountedIn(budget, period);
        long room = room(budget.getLimitMicros() - spent);
        if (held + maximum > room) {
          refused(budget);
          return new Refuse(reason(budget, period, spent, held, maximum, room));
        }
      }
      covering.forEach(b -> reserved.merge(b.getId(), maximum, Long::sum));
      reservedTotal.addAndGet(maximum * covering.size());
    }
    return new Admit(new Held(covering, maximum));
  }

  /** One admitted request's reservation. */
  private final class Held implements Reservation {
    private final List<Budget> budgets;
    private final long maximum;
    private final AtomicBoolean done = new AtomicBoolean();

    Held(List<Budget> budgets, long maximum) {
      this.budgets = budgets;
      this.maximum = maximum;
    }

    @Override
    public void settle(UsageEvent usage, int usagePartition, long usageOffset) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      synchronized (reserved) {
        unreserve(budgets, maximum);
        for (Budget budget : budgets) {
          // Held only where the aggregator will count it, or no state would ever release it.
          if (BudgetRules.countsAgainst(budget, usage)) {
            long periodStart = BudgetRules.window(budget.getPeriod(), usage.getOccurredAt()).start();
            uncounted.computeIfAbsent(budget.getId(), id -> new ArrayList<>())
                .add(new Uncounted(usagePartition, usageOffset, usage.getCostMicros(), periodStart));
          }
        }
      }
    }

    @Override
    public void release() {
      if (done.compareAndSet(false, true)) {
        synchronized (reserved) {
          unreserve(budgets, maximum);
        }
      }
    }
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

  /**
   * This worker's published spend under {@code budget} that the state it holds does not count yet;
   * forgets what the state counts or what belongs to an ended period. Called holding the lock.
   */
  private long uncountedIn(Budget budget, BudgetRules.Window period) {
    List<Uncounted> entries = uncounted.get(budget.getId());
    if (entries == null) {
      return 0;
    }
    BudgetState state = view.state(budget.getId()).orElse(null);
    entries.removeIf(e -> e.periodStart() < period.start() || counted(state, e));
    if (entries.isEmpty()) {
      uncounted.remove(budget.getId());
      return 0;
    }
    return entries.stream().mapToLong(Uncounted::costMicros).sum();
  }

  private static boolean counted(BudgetState state, Uncounted entry) {
    if (state == null || state.getPeriodStart() < entry.periodStart()) {
      return false;
    }
    // A state of a later period no longer counts anything of the entry's period.
    return state.getPeriodStart() > entry.periodStart()
        || state.getCountedUsageOffsets().getOrDefault(Integer.toString(entry.partition()), -1L) >= entry.offset();
  }

  /** Called holding the lock. */
  private void unreserve(List<Budget> budgets, long maximum) {
    for (Budget budget : budgets) {
      reserved.computeIfPresent(budget.getId(), (k, held) -> held - maximum <= 0 ? null : held - maximum);
    }
    reservedTotal.addAndGet(-maximum * budgets.size());
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
        + " plus " + BudgetRules.usd(held) + " reserved or spent by this worker and not yet counted exceeds this worker's share "
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
