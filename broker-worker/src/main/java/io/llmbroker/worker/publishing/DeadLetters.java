package io.llmbroker.worker.publishing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of a DLQ record. A dead letter keeps the original key, value and headers and adds
 * these, so an operator can find the original and see why it was refused (or, for a request that
 * was served, which of its outputs could not be published).
 */
public final class DeadLetters {

  /** The topic the record was read from. */
  public static final String TOPIC = "dlq.original.topic";
  /** Its partition, in decimal. */
  public static final String PARTITION = "dlq.original.partition";
  /** Its offset, in decimal. */
  public static final String OFFSET = "dlq.original.offset";
  /** The class name of the error that refused it. */
  public static final String ERROR_CLASS = "dlq.error.class";
  /** The error's message. */
  public static final String ERROR_MESSAGE = "dlq.error.message";
  /**
   * Only on a request that was served but some of whose outputs could not be published: the
   * topics of those outputs, comma-separated. The error headers then say why the first failed.
   */
  public static final String FAILED_OUTPUTS = "dlq.failed.outputs";

  private DeadLetters() {}

  /** The original headers plus the five that say where from and why. */
  public static Headers headers(ConsumerRecord<byte[], byte[]> original, Throwable error) {
    Headers headers = new RecordHeaders(original.headers().toArray());
    headers.add(TOPIC, utf8(original.topic()));
    headers.add(PARTITION, utf8(Integer.toString(original.partition())));
    headers.add(OFFSET, utf8(Long.toString(original.offset())));
    headers.add(ERROR_CLASS, utf8(error.getClass().getName()));
    headers.add(ERROR_MESSAGE, utf8(String.valueOf(error.getMessage())));
    return headers;
  }

  /** {@link #headers(ConsumerRecord, Throwable)} plus the topics of the outputs that failed. */
  public static Headers headers(ConsumerRecord<byte[], byte[]> original, Throwable error, List<String> failedOutputs) {
    Headers headers = headers(original, error);
    headers.add(FAILED_OUTPUTS, utf8(String.join(",", failedOutputs)));
    return headers;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
