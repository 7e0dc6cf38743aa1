package io.llmbroker.costs.topology;

import io.llmbroker.avro.UsageEvent;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Forwards the first usage event of each request id and drops the others. Request ids are
 * remembered in a window store whose retention is the dedup window: segments older than that (in
 * stream time) are dropped whole, so the store stays bounded without a cleanup pass. Usage is
 * keyed by request id, so every copy of one id reaches the same task.
 *
 * <p>One instance per task, called from the task's thread only.
 */
final class DedupProcessor implements FixedKeyProcessor<String, UsageEvent, UsageEvent> {

  private final String storeName;
  private final long windowMillis;
  private FixedKeyProcessorContext<String, UsageEvent> context;
  private WindowStore<String, Long> seen;

  DedupProcessor(String storeName, Duration window) {
    this.storeName = storeName;
    this.windowMillis = window.toMillis();
  }

  @Override
  public void init(FixedKeyProcessorContext<String, UsageEvent> context) {
    this.context = context;
    this.seen = context.getStateStore(storeName);
  }

  @Override
  public void process(FixedKeyRecord<String, UsageEvent> record) {
    String requestId = record.value().getRequestId();
    long time = record.timestamp();
    if (seenWithinWindow(requestId, time)) {
      return;
    }
    seen.put(requestId, time, time);
    context.forward(record);
  }

  private boolean seenWithinWindow(String requestId, long time) {
    try (WindowStoreIterator<Long> copies = seen.fetch(requestId, Math.max(0, time - windowMillis), time + windowMillis)) {
      return copies.hasNext();
    }
  }
}
