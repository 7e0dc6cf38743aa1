package io.llmbroker.costs.topology;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.UsageEvent;
import java.time.Instant;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The dimensions one rollup is kept for, and their readable text form used as a Kafka key:
 * {@code team|app|customer|provider|model} followed by the rolled-up tags' values in tag-name
 * order, with {@code %} and {@code |} inside a value written {@code %25} and {@code %7C} so that
 * values never run together. An absent customer is the empty field.
 *
 * @param customer null when the usage named no customer (a blank one counts as none)
 * @param tags the rolled-up tags and their values (see {@link TagLimiter}); sorted by name
 */
public record RollupKey(String team, String app, String customer, String provider, String model,
    SortedMap<String, String> tags) {

  private static final char SEPARATOR = '|';

  public RollupKey {
    customer = customer == null || customer.isBlank() ? null : customer;
    tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  /** The dimensions of one usage event whose tags {@link TagLimiter} has already reduced to the rolled-up ones. */
  public static RollupKey of(UsageEvent event) {
    return new RollupKey(event.getTeam(), event.getApp(), event.getCustomer(), event.getProvider(), event.getModel(),
        new TreeMap<>(event.getTags()));
  }

  /** The dimensions of one rollup. */
  public static RollupKey of(CostRollup rollup) {
    return new RollupKey(rollup.getTeam(), rollup.getApp(), rollup.getCustomer(), rollup.getProvider(), rollup.getModel(),
        new TreeMap<>(rollup.getTags()));
  }

  /** The text form, {@code team|app|customer|provider|model[|tag value...]}. */
  public String encode() {
    StringBuilder text = new StringBuilder();
    text.append(escape(team)).append(SEPARATOR).append(escape(app)).append(SEPARATOR).append(escape(customer))
        .append(SEPARATOR).append(escape(provider)).append(SEPARATOR).append(escape(model));
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      text.append(SEPARATOR).append(escape(tag.getValue()));
    }
    return text.toString();
  }

  /**
   * The key of a rollup on {@code llm.cost.rollups}: granularity, window start and dimensions,
   * e.g. {@code hour|2026-11-23T10:00:00Z|search|web||openai|gpt-4o}. The topic is compacted, so
   * the key names exactly one window of one combination.
   */
  public String topicKey(Granularity granularity, Instant windowStart) {
    return granularity.name().toLowerCase(Locale.ROOT) + SEPARATOR + windowStart + SEPARATOR + encode();
  }

  /** The lowest text form of any key of {@code team}: keys of one team form the range up to {@link #teamRangeEnd}. */
  public static String teamRangeStart(String team) {
    return escape(team) + SEPARATOR;
  }

  /**
   * The highest bound of {@code team}'s keys: the separator's successor, so that every key
   * {@code team|...} sorts (as UTF-8 bytes) below it and no key of another team falls between.
   */
  public static String teamRangeEnd(String team) {
    return escape(team) + (char) (SEPARATOR + 1);
  }

  private static String escape(String value) {
    return value == null ? "" : value.replace("%", "%25").replace("|", "%7C");
  }
}
