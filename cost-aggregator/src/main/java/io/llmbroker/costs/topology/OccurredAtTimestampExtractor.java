package io.llmbroker.costs.topology;

import io.llmbroker.avro.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of usage is when the outcome happened ({@code occurred_at}), not when the record
 * reached Kafka, so a backlog replayed later still lands in the hour it was spent in. A record
 * without a usable {@code occurred_at} falls back to its Kafka timestamp, then to the partition's
 * stream time, so that it is never dropped for its timestamp alone. Stateless and thread-safe.
 */
public final class OccurredAtTimestampExtractor implements TimestampExtractor {

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof UsageEvent usage && usage.getOccurredAt() > 0) {
      return usage.getOccurredAt();
    }
    if (record.timestamp() >= 0) {
      return record.timestamp();
    }
    return Math.max(partitionTime, 0);
  }
}
