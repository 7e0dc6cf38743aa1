package io.llmbroker.costs.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.runtime.budgets.BudgetEntry;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of {@code llm.budgets} as the topic's raw bytes (so that a restore, which
 * copies the topic into the store directly, gives the same store) and logs a record that cannot be
 * read with its key: such a budget counts nothing. A record without a key is skipped.
 */
final class BudgetsStoreUpdater implements Processor<String, byte[], Void, Void> {

  private static final Logger log = LoggerFactory.getLogger(BudgetsStoreUpdater.class);

  private final String storeName;
  private final String topic;
  private final Deserializer<Budget> decoder;
  private KeyValueStore<String, byte[]> store;

  BudgetsStoreUpdater(String storeName, String topic, Deserializer<Budget> decoder) {
    this.storeName = storeName;
    this.topic = topic;
    this.decoder = decoder;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (record.key() == null) {
      log.error("event=budget_record_unreadable topic={} reason=\"record has no key\" effect=\"counts nothing\"", topic);
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      return;
    }
    if (BudgetEntry.read(record.key(), record.value(), topic, decoder) instanceof BudgetEntry.Unreadable unreadable) {
      log.error("event=budget_record_unreadable topic={} key=\"{}\" reason=\"{}\" effect=\"counts nothing\"",
          topic, record.key(), unreadable.reason());
    }
    store.put(record.key(), record.value());
  }
}
