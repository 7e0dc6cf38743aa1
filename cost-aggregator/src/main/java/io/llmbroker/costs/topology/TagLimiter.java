package io.llmbroker.costs.topology;

import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.config.CostAggregatorConfig.RollupSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reduces a usage event's tags to the rolled-up ones, so that their cardinality stays bounded:
 * every configured tag is present ({@code ""} when the request did not carry it), the others are
 * dropped, and a value is kept only if it is among the first {@code tag-values-max} distinct
 * values of its tag this partition has seen; later ones become {@value RollupSettings#OTHER_TAG_VALUE}.
 * Seen values are kept in a store (so the bound survives restarts); {@code ""} does not count.
 *
 * <p>One instance per task, called from the task's thread only.
 */
final class TagLimiter implements FixedKeyProcessor<String, UsageEvent, UsageEvent> {

  private static final char NAME_END = '\u0000';

  private final String storeName;
  private final List<String> tags;
  private final int valuesMax;
  private final Map<String, Integer> distinct = new HashMap<>();
  private FixedKeyProcessorContext<String, UsageEvent> context;
  private KeyValueStore<String, Long> seen;

  TagLimiter(String storeName, RollupSettings rollup) {
    this.storeName = storeName;
    this.tags = rollup.tags();
    this.valuesMax = rollup.tagValuesMax();
  }

  @Override
  public void init(FixedKeyProcessorContext<String, UsageEvent> context) {
    this.context = context;
    this.seen = context.getStateStore(storeName);
    try (KeyValueIterator<String, Long> all = seen.all()) {
      all.forEachRemaining(kv -> distinct.merge(kv.key.substring(0, kv.key.indexOf(NAME_END)), 1, Integer::sum));
    }
  }

  @Override
  public void process(FixedKeyRecord<String, UsageEvent> record) {
    UsageEvent usage = record.value();
    Map<String, String> kept = new TreeMap<>();
    for (String tag : tags) {
      kept.put(tag, limited(tag, usage.getTags().getOrDefault(tag, "")));
    }
    context.forward(record.withValue(UsageEvent.newBuilder(usage).setTags(kept).build()));
  }

  private String limited(String tag, String value) {
    if (value.isEmpty()) {
      return value;
    }
    String key = tag + NAME_END + value;
    if (seen.get(key) != null) {
      return value;
    }
    if (distinct.getOrDefault(tag, 0) >= valuesMax) {
      return RollupSettings.OTHER_TAG_VALUE;
    }
    seen.put(key, context.currentSystemTimeMs());
    distinct.merge(tag, 1, Integer::sum);
    return value;
  }
}
