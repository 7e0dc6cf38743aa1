package io.llmbroker.worker.intake;

import io.llmbroker.avro.Priority;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** What the intake hands every polled request record to. */
@FunctionalInterface
public interface RecordHandler {

  /**
   * Takes one record to its end: called on the consumer thread, so it must only start the
   * work, never wait for it.
   *
   * @param receivedAt epoch millis at which the record was polled
   */
  RecordWork handle(ConsumerRecord<byte[], byte[]> record, Priority priority, long receivedAt);
}
