package io.llmbroker.runtime.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the records a Streams job restores from its changelogs into
 * {@code llm_broker_streams_restored_records} and logs each restoration that copies any. A clean
 * restart reuses its local state and restores nothing; a count that grows after a restart means
 * the state was rebuilt (a crash, a lost state directory, a task moved from another instance).
 *
 * <p>Register with {@code KafkaStreams.setGlobalStateRestoreListener} before {@code start()}.
 * Thread-safe: Streams calls it from its stream threads.
 */
public final class RestoreMetrics implements StateRestoreListener {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreMetrics.class);

  private final Counter restored;

  public RestoreMetrics(MeterRegistry registry) {
    restored = Counter.builder("llm_broker_streams_restored_records")
        .description("Records restored from changelog topics into local state stores since start")
        .register(registry);
  }

  /** Records restored since start, all stores together. */
  public double restoredRecords() {
    return restored.count();
  }

  @Override
  public void onRestoreStart(TopicPartition partition, String store, long startOffset, long endOffset) {
    if (endOffset > startOffset) {
      LOG.info("event=restore_started store={} changelog={} records_up_to={}", store, partition, endOffset - startOffset);
    }
  }

  @Override
  public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
    restored.increment(numRestored);
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
    if (totalRestored > 0) {
      LOG.info("event=restore_finished store={} changelog={} records={}", store, partition, totalRestored);
    }
  }
}
