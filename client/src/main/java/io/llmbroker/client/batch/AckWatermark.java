package io.llmbroker.client.batch;

import java.util.HashSet;
import java.util.Set;

/**
 * The highest line up to which every line is acknowledged. Kafka acknowledges sends of
 * different partitions out of order, so acknowledgements beyond a gap wait until it closes.
 * Only those are kept, never a record of every line: memory is bounded by the sends in flight,
 * whatever the batch size. Thread-safe.
 */
final class AckWatermark {

  private final Set<Long> ahead = new HashSet<>();
  private long through;

  AckWatermark(long through) {
    this.through = through;
  }

  synchronized void ack(long line) {
    if (line <= through) {
      return;
    }
    if (line > through + 1) {
      ahead.add(line);
      return;
    }
    through = line;
    while (ahead.remove(through + 1)) {
      through++;
    }
  }

  synchronized long through() {
    return through;
  }

  /** Acknowledgements waiting for a gap below them to close. */
  synchronized int waiting() {
    return ahead.size();
  }
}
