package io.llmbroker.client;

import io.llmbroker.avro.LlmRequest;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A Kafka interceptor that makes the send of chosen request ids block until {@link #release()},
 * as a send waiting for metadata or buffer space does. Named in {@code interceptor.classes}, it is
 * handed to the client's consumer too, where it does nothing.
 */
public final class BlockingSends implements ProducerInterceptor<String, LlmRequest>, ConsumerInterceptor<String, byte[]> {

  private static final Set<String> BLOCKED = ConcurrentHashMap.newKeySet();
  private static volatile CountDownLatch release = new CountDownLatch(1);

  /** Sends of {@code requestId} block from now until {@link #release()}. */
  static void block(String requestId) {
    release = new CountDownLatch(1);
    BLOCKED.add(requestId);
  }

  static void release() {
    BLOCKED.clear();
    release.countDown();
  }

  @Override
  public ProducerRecord<String, LlmRequest> onSend(ProducerRecord<String, LlmRequest> record) {
    if (BLOCKED.contains(record.key())) {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return record;
  }

  @Override
  public void onAcknowledgement(RecordMetadata metadata, Exception exception) {}

  @Override
  public ConsumerRecords<String, byte[]> onConsume(ConsumerRecords<String, byte[]> records) {
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
