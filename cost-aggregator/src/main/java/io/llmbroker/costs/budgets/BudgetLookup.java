package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.runtime.budgets.BudgetEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads budgets out of the global store of raw {@code llm.budgets} records; unreadable ones are
 * left out. Every usage event asks for all budgets, so a record is decoded again only when its
 * bytes changed. One instance per task (not thread-safe).
 */
final class BudgetLookup {

  private record Decoded(byte[] raw, Optional<Budget> budget) {}

  private final ReadOnlyKeyValueStore<String, byte[]> store;
  private final String topic;
  private final Deserializer<Budget> decoder;
  private final Map<String, Decoded> decoded = new HashMap<>();

  BudgetLookup(ReadOnlyKeyValueStore<String, byte[]> store, String topic, Deserializer<Budget> decoder) {
    this.store = store;
    this.topic = topic;
    this.decoder = decoder;
  }

  Optional<Budget> find(String id) {
    byte[] value = store.get(id);
    return value == null ? Optional.empty() : readable(id, value);
  }

  List<Budget> all() {
    List<Budget> budgets = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> next = it.next();
        seen.add(next.key);
        Decoded known = decoded.get(next.key);
        if (known == null || !Arrays.equals(known.raw(), next.value)) {
          known = new Decoded(next.value, readable(next.key, next.value));
          decoded.put(next.key, known);
        }
        known.budget().ifPresent(budgets::add);
      }
    }
    decoded.keySet().retainAll(seen);
    return budgets;
  }

  private Optional<Budget> readable(String id, byte[] value) {
    return BudgetEntry.read(id, value, topic, decoder) instanceof BudgetEntry.Readable r ? Optional.of(r.budget())
        : Optional.empty();
  }
}
