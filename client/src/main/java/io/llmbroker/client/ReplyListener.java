package io.llmbroker.client;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.runtime.topics.ReplyTopics;
import io.llmbroker.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that reads the reply topic. It assigns itself every partition (no consumer
 * group, no committed offsets) and starts at the end, so a restarted service never sees replies
 * meant for its previous life. {@link #ready()} completes once every partition's start position
 * is fixed: a request sent after that cannot have its reply land before the read position.
 * Partitions added to the topic later are picked up from their beginning.
 *
 * <p>This thread only hands replies to {@link PendingReplies}, which completes the futures on
 * the client's callback executor: no caller's code ever runs here, so a caller that blocks in a
 * dependent stage cannot hold up the replies of others.
 */
final class ReplyListener implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReplyListener.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration PARTITION_REFRESH = Duration.ofSeconds(30);
  private static final Backoff BACKOFF = Backoff.exponential(Duration.ofMillis(50), Duration.ofSeconds(2));
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

  private final Topic<LlmResponse> topic;
  private final Map<String, Object> consumerProps;
  private final Map<String, Object> adminProps;
  private final boolean createTopic;
  private final Deserializer<LlmResponse> deserializer;
  private final PendingReplies pending;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;

  ReplyListener(Topic<LlmResponse> topic, Map<String, Object> kafkaProps, boolean createTopic,
      Deserializer<LlmResponse> deserializer, PendingReplies pending) {
    this.topic = topic;
    this.createTopic = createTopic;
    this.deserializer = deserializer;
    this.pending = pending;
    this.adminProps = new HashMap<>(kafkaProps);
    this.consumerProps = new HashMap<>(kafkaProps);
    consumerProps.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerProps.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    this.thread = new Thread(this::run, "llm-broker-replies-" + topic.name());
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Completes when replies to requests sent from now on are sure to be read. */
  CompletableFuture<Void> ready() {
    return ready;
  }

  /** Why the listener is not ready yet, when it has failed to reach Kafka; empty otherwise. */
  Optional<String> lastError() {
    return Optional.ofNullable(lastError.get());
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      if (!running) {
        return;
      }
      Set<TopicPartition> assigned = new HashSet<>();
      int failures = 0;
      while (running && !ready.isDone()) {
        try {
          if (createTopic) {
            ensureTopic();
          }
          assigned.addAll(partitions(c));
          if (assigned.isEmpty()) {
            throw new IllegalStateException("reply topic " + topic.name() + " does not exist");
          }
          c.assign(assigned);
          c.seekToEnd(assigned);
          assigned.forEach(c::position);
          lastError.set(null);
          ready.complete(null);
          log.info("reading replies from {} ({} partitions)", topic.name(), assigned.size());
        } catch (WakeupException e) {
          return;
        } catch (RuntimeException e) {
          if (!running) {
            return;
          }
          noteError(e);
          pause(BACKOFF.delay(++failures));
        }
      }
      long nextRefresh = System.nanoTime() + PARTITION_REFRESH.toNanos();
      failures = 0;
      while (running) {
        try {
          for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
            handle(r);
          }
          if (System.nanoTime() - nextRefresh > 0) {
            nextRefresh = System.nanoTime() + PARTITION_REFRESH.toNanos();
            addNewPartitions(c, assigned);
          }
          failures = 0;
        } catch (WakeupException e) {
          return;
        } catch (RuntimeException e) {
          if (!running) {
            return;
          }
          noteError(e);
          pause(BACKOFF.delay(++failures));
        }
      }
    } catch (WakeupException e) {
      log.debug("reply listener woken up for close");
    } catch (RuntimeException e) {
      log.error("reply listener for {} stopped: {}", topic.name(), e.toString(), e);
      ready.completeExceptionally(e);
    }
  }

  private void handle(ConsumerRecord<String, byte[]> r) {
    LlmResponse response;
    try {
      response = deserializer.deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      log.warn("skipping unreadable reply at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      return;
    }
    if (response != null) {
      pending.complete(response);
    }
  }

  private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
    List<PartitionInfo> infos = c.partitionsFor(topic.name());
    return infos == null ? List.of() : infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
  }

  private void addNewPartitions(KafkaConsumer<String, byte[]> c, Set<TopicPartition> assigned) {
    List<TopicPartition> added = partitions(c).stream().filter(tp -> !assigned.contains(tp)).toList();
    if (added.isEmpty()) {
      return;
    }
    assigned.addAll(added);
    c.assign(assigned);
    // A partition created after we started holds only replies sent after we started.
    c.seekToBeginning(added);
    log.info("reply topic {} grew: now reading {} partitions", topic.name(), assigned.size());
  }

  private void ensureTopic() {
    if (ReplyTopics.ensure(adminProps, topic, ADMIN_TIMEOUT)) {
      log.info("created reply topic {}", topic.name());
    }
  }

  private void noteError(RuntimeException e) {
    String message = e.getClass().getSimpleName() + ": " + e.getMessage()
        + (e.getCause() != null && e.getCause() != e ? " (" + e.getCause().getMessage() + ")" : "");
    if (!message.equals(lastError.getAndSet(message))) {
      log.warn("reply listener for {} cannot reach Kafka, retrying: {}", topic.name(), message);
    }
  }

  private void pause(Duration delay) {
    try {
      if (stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
        running = false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  @Override
  public void close() {
    running = false;
    stopped.countDown();
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

