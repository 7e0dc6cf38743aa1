package io.llmbroker.runtime.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.BudgetStatus;
import io.llmbroker.avro.UsageEvent;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a budget means, shared by the cost aggregator (which counts spend) and the workers (which
 * refuse): whether a record is usable, which traffic it covers, and its calendar periods in UTC.
 * Stateless and thread-safe.
 */
public final class BudgetRules {

  /** The tag key marking replayed traffic: it counts only against budgets with {@code include_replay}. */
  public static final String REPLAY_TAG = "llm.replay";

  private BudgetRules() {}

  /** One period of a budget: {@code [start, end)} in epoch millis. */
  public record Window(long start, long end) {
    public boolean contains(long millis) {
      return millis >= start && millis < end;
    }
  }

  /**
   * Why the record stored under {@code key} cannot be used, or empty when it can: its id must be
   * its key, its scope must name a team, an app or a customer, its limit must be positive and its
   * thresholds within 1..1000 percent. A budget that cannot be used counts nothing and refuses nothing.
   */
  public static Optional<String> problem(String key, Budget budget) {
    if (!key.equals(budget.getId())) {
      return Optional.of("record id '" + budget.getId() + "' differs from its key");
    }
    BudgetScope scope = budget.getScope();
    if (blank(scope.getTeam()) && blank(scope.getApp()) && blank(scope.getCustomer())) {
      return Optional.of("scope names no team, app or customer");
    }
    if (budget.getLimitMicros() <= 0) {
      return Optional.of("limit_micros must be > 0: " + budget.getLimitMicros());
    }
    for (int threshold : budget.getAlertThresholds()) {
      if (threshold < 1 || threshold > 1000) {
        return Optional.of("alert threshold must be within 1..1000 percent: " + threshold);
      }
    }
    return Optional.empty();
  }

  /**
   * True when traffic with these dimensions counts against {@code budget}.
   *
   * @param models the model strings the traffic is or may be served by; the budget's model, when
   *     it has one, must be among them
   * @param tags the request's tags: replayed traffic counts only when the budget includes replays
   */
  public static boolean covers(Budget budget, String team, String app, String customer, Collection<String> models,
      Map<String, String> tags) {
    BudgetScope scope = budget.getScope();
    if (!budget.getIncludeReplay() && tags != null && tags.containsKey(REPLAY_TAG)) {
      return false;
    }
    return matches(scope.getTeam(), team) && matches(scope.getApp(), app) && matches(scope.getCustomer(), customer)
        && (scope.getModel() == null || models.contains(scope.getModel()));
  }

  /**
   * True when {@code usage} counts against {@code budget}: it cost something and the budget
   * covers its dimensions and served model ({@code model} or {@code provider/model}).
   */
  public static boolean countsAgainst(Budget budget, UsageEvent usage) {
    return usage.getCostMicros() > 0 && covers(budget, usage.getTeam(), usage.getApp(), usage.getCustomer(),
        List.of(usage.getModel(), usage.getProvider() + "/" + usage.getModel()), usage.getTags());
  }

  /** The period of {@code period} kind containing {@code millis}, in UTC. */
  public static Window window(BudgetPeriod period, long millis) {
    LocalDate day = Instant.ofEpochMilli(millis).atOffset(ZoneOffset.UTC).toLocalDate();
    LocalDate start = period == BudgetPeriod.DAY ? day : day.withDayOfMonth(1);
    LocalDate end = period == BudgetPeriod.DAY ? start.plusDays(1) : start.plusMonths(1);
    return new Window(epochMillis(start), epochMillis(end));
  }

  /** Spend as a percentage of the limit, to one decimal, for display. */
  public static double percent(long spentMicros, long limitMicros) {
    return limitMicros <= 0 ? 0 : Math.floor(spentMicros * 1000.0 / limitMicros) / 10.0;
  }

  /**
   * EXHAUSTED once the spend reaches the limit, ALERTING once it reaches the lowest alert
   * threshold below 100 %, else OK.
   */
  public static BudgetStatus status(Budget budget, long spentMicros) {
    if (spentMicros >= budget.getLimitMicros()) {
      return BudgetStatus.EXHAUSTED;
    }
    boolean alerting = budget.getAlertThresholds().stream()
        .anyMatch(t -> t < 100 && spentMicros * 100 >= (long) t * budget.getLimitMicros());
    return alerting ? BudgetStatus.ALERTING : BudgetStatus.OK;
  }

  /** Micro-dollars as an exact USD amount: {@code $1.250000}. */
  public static String usd(long micros) {
    return "$" + java.math.BigDecimal.valueOf(micros, 6).toPlainString();
  }

  private static boolean matches(String wanted, String actual) {
    return wanted == null || wanted.equals(actual);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static long epochMillis(LocalDate date) {
    return date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }
}
