package io.llmbroker.costs.topology;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.UsageEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The dimensions one rollup is kept for, and their readable text form used as a Kafka key:
 * {@code team|app|customer|provider|model}, with {@code %} and {@code |} inside a value written
 * {@code %25} and {@code %7C} so that any value round-trips. An absent customer is the empty field.
 *
 * @param customer null when the usage named no customer (a blank one counts as none)
 */
public record RollupKey(String team, String app, String customer, String provider, String model) {

  private static final char SEPARATOR = '|';

  public RollupKey {
    customer = customer == null || customer.isBlank() ? null : customer;
  }

  /** The dimensions of one usage event. */
  public static RollupKey of(UsageEvent event) {
    return new RollupKey(event.getTeam(), event.getApp(), event.getCustomer(), event.getProvider(), event.getModel());
  }

  /** The dimensions of one rollup. */
  public static RollupKey of(CostRollup rollup) {
    return new RollupKey(rollup.getTeam(), rollup.getApp(), rollup.getCustomer(), rollup.getProvider(), rollup.getModel());
  }

  /** The text form, {@code team|app|customer|provider|model}. */
  public String encode() {
    return String.join(String.valueOf(SEPARATOR),
        escape(team), escape(app), escape(customer), escape(provider), escape(model));
  }

  /**
   * The key of a rollup on {@code llm.cost.rollups}: granularity, window start and dimensions,
   * e.g. {@code hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o}. The topic is compacted, so
   * the key names exactly one window of one combination.
   */
  public String topicKey(Granularity granularity, Instant windowStart) {
    return granularity.name().toLowerCase(Locale.ROOT) + SEPARATOR + windowStart + SEPARATOR + encode();
  }

  /**
   * Reads the text form back.
   *
   * @throws IllegalArgumentException when {@code text} does not hold five fields
   */
  public static RollupKey decode(String text) {
    List<String> fields = new ArrayList<>(5);
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i == text.length() || text.charAt(i) == SEPARATOR) {
        fields.add(unescape(text.substring(start, i)));
        start = i + 1;
      }
    }
    if (fields.size() != 5) {
      throw new IllegalArgumentException("a rollup key has 5 fields separated by '|': '" + text + "'");
    }
    return new RollupKey(fields.get(0), fields.get(1), fields.get(2), fields.get(3), fields.get(4));
  }

  private static String escape(String value) {
    return value == null ? "" : value.replace("%", "%25").replace("|", "%7C");
  }

  private static String unescape(String field) {
    return field.replace("%7C", "|").replace("%25", "%");
  }
}
