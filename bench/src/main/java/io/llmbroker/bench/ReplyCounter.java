package io.llmbroker.bench;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a reply topic from its beginning on its own thread and counts the distinct requests
 * answered, by status, with the time the first and the last answer arrived; a second reply to
 * the same request id is counted apart as a duplicate. The topic must exist before {@link #start()};
 * no consumer group is used, nothing is committed.
 *
 * <p>Thread-safe: the reading thread updates, any thread reads and waits.
 */
final class ReplyCounter implements AutoCloseable {

  /** Called on the reading thread for every reply, with the tick it was read at. */
  interface Listener {
    /** @param repeat true when the reply's request had been answered already (a duplicate) */
    void onResponse(LlmResponse response, long receivedAtNanos, boolean repeat);
  }

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Topic<LlmResponse> topic;
  private final Deserializer<LlmResponse> deserializer;
  private final LongSupplier ticker;
  private final Listener listener;
  private final Thread thread;
  private final Map<ResponseStatus, Long> statuses = new EnumMap<>(ResponseStatus.class);
  private final Set<String> answered = new HashSet<>();
  private long count;
  private long duplicates;
  private long firstNanos;
  private long lastNanos;
  private volatile boolean running = true;
  private volatile boolean started;
  private volatile RuntimeException failure;

  ReplyCounter(String bootstrapServers, Topic<LlmResponse> topic, LongSupplier ticker, Listener listener) {
    Map<String, Object> props = new HashMap<>();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.topic = topic;
    this.deserializer = AvroSerdes.fromConfig(props).serde(LlmResponse.class).deserializer();
    this.ticker = ticker;
    this.listener = listener;
    this.thread = new Thread(this::run, "bench-replies-" + topic.name());
    thread.setDaemon(true);
  }

  ReplyCounter(String bootstrapServers, Topic<LlmResponse> topic) {
    this(bootstrapServers, topic, System::nanoTime, (r, t, repeat) -> { });
  }

  /** Assigns every partition from the beginning, then starts reading. */
  ReplyCounter start() {
    List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    if (partitions.isEmpty()) {
      throw new IllegalStateException("reply topic " + topic.name() + " does not exist");
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    started = true;
    thread.start();
    return this;
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          long now = ticker.getAsLong();
          LlmResponse response = deserializer.deserialize(record.topic(), record.value());
          listener.onResponse(response, now, !tally(response, now));
        }
      }
    } catch (WakeupException e) {
      // close() woke the poll up: the normal way out.
    } catch (RuntimeException e) {
      failure = e;
      synchronized (this) {
        notifyAll();
      }
    } finally {
      consumer.close();
    }
  }

  /** Counts one reply; false when its request had been answered already. */
  private synchronized boolean tally(LlmResponse response, long now) {
    if (!answered.add(response.getRequestId())) {
      duplicates++;
      return false;
    }
    if (count == 0) {
      firstNanos = now;
    }
    count++;
    lastNanos = now;
    statuses.merge(response.getStatus(), 1L, Long::sum);
    notifyAll();
    return true;
  }

  /** Distinct requests answered so far. */
  synchronized long count() {
    return count;
  }

  /** Replies to a request that had already been answered. */
  synchronized long duplicates() {
    return duplicates;
  }

  synchronized long firstNanos() {
    return firstNanos;
  }

  synchronized long lastNanos() {
    return lastNanos;
  }

  synchronized Map<ResponseStatus, Long> statuses() {
    return new EnumMap<>(statuses);
  }

  /**
   * Waits until {@code target} responses arrived, or none arrived for {@code idle}.
   *
   * @return the count reached
   * @throws IllegalStateException when the reading thread failed
   */
  synchronized long awaitCount(long target, Duration idle) throws InterruptedException {
    long lastSeen = -1;
    long idleDeadline = 0;
    while (count < target && failure == null) {
      long now = System.nanoTime();
      if (count != lastSeen) {
        lastSeen = count;
        idleDeadline = now + idle.toNanos();
      }
      long left = idleDeadline - now;
      if (left <= 0) {
        break;
      }
      TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, Duration.ofSeconds(1).toNanos()));
    }
    if (failure != null) {
      throw new IllegalStateException("reading " + topic.name() + " failed: " + failure.getMessage(), failure);
    }
    return count;
  }

  @Override
  public void close() {
    running = false;
    if (!started) {
      consumer.close();
      return;
    }
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
