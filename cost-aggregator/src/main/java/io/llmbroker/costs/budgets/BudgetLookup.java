package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.runtime.budgets.BudgetEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Reads budgets out of the global store of raw {@code llm.budgets} records; unreadable ones are left out. */
final class BudgetLookup {

  private final ReadOnlyKeyValueStore<String, byte[]> store;
  private final String topic;
  private final Deserializer<Budget> decoder;

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
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> next = it.next();
        readable(next.key, next.value).ifPresent(budgets::add);
      }
    }
    return budgets;
  }

  private Optional<Budget> readable(String id, byte[] value) {
    return BudgetEntry.read(id, value, topic, decoder) instanceof BudgetEntry.Readable r ? Optional.of(r.budget())
        : Optional.empty();
  }
}
