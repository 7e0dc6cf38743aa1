package io.llmbroker.client.batch;

import java.util.BitSet;

/**
 * The highest line up to which every line is acknowledged. Kafka acknowledges sends of
 * different partitions out of order, so acknowledgements beyond a gap wait in a bit set until
 * the gap closes. Thread-safe.
 */
final class AckWatermark {

  private final BitSet acked = new BitSet();
  private long through;

  AckWatermark(long through) {
    this.through = through;
  }

  synchronized void ack(long line) {
    acked.set(Math.toIntExact(line));
    while (acked.get(Math.toIntExact(through + 1))) {
      acked.clear(Math.toIntExact(through + 1));
      through++;
    }
  }

  synchronized long through() {
    return through;
  }
}
