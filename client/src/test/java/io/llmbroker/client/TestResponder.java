package io.llmbroker.client;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plays the worker in client tests: reads the request topics with real Kafka clients and answers
 * each request on {@code llm.responses.<reply_to>} with "echo: <last message>". It can hold
 * replies back, send each reply twice, or answer some requests with an error status.
 */
public final class TestResponder implements AutoCloseable {

  /** Cost reported for every answered request. */
  public static final long COST_MICROS = 1_500;

  private final Topics topics;
  private final KafkaConsumer<String, LlmRequest> consumer;
  private final KafkaProducer<String, LlmResponse> producer;
  private final Thread thread;
  private final AtomicBoolean hold = new AtomicBoolean();
  private final AtomicBoolean duplicate = new AtomicBoolean();
  private final List<ProducerRecord<String, LlmResponse>> held = new ArrayList<>();
  private final AtomicInteger seen = new AtomicInteger();
  private volatile boolean running = true;

  public TestResponder(String bootstrapServers, Topics topics) {
    this.topics = topics;
    AvroSerdes serdes = AvroSerdes.singleObject();
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "test-responder-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), serdes.serde(LlmRequest.class).deserializer());
    producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.LINGER_MS_CONFIG, "5"),
        new StringSerializer(), serdes.serde(LlmResponse.class).serializer());
    consumer.subscribe(topics.requestTopics().stream().map(Topic::name).toList());
    thread = new Thread(this::run, "test-responder");
    thread.start();
  }

  /** While true, replies are kept back until {@link #release()}. */
  public void hold(boolean value) {
    hold.set(value);
  }

  /** While true, every reply is sent twice, the second with content prefixed "duplicate: ". */
  public void duplicate(boolean value) {
    duplicate.set(value);
  }

  /** How many requests it has read. */
  public int seen() {
    return seen.get();
  }

  /** How many replies are held back. */
  public synchronized int heldCount() {
    return held.size();
  }

  /** Sends every held reply now. */
  public synchronized void release() {
    held.forEach(this::publish);
    held.clear();
    producer.flush();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<String, LlmRequest> r : consumer.poll(Duration.ofMillis(100))) {
          seen.incrementAndGet();
          answer(r.value(), topics.priorityOf(r.topic()).orElseThrow());
        }
      }
    } catch (WakeupException e) {
      // closing
    }
  }

  private synchronized void answer(LlmRequest request, io.llmbroker.avro.Priority priority) {
    List<ChatMessage> messages = request.getMessages();
    String last = messages.get(messages.size() - 1).getContent().get(0).getText();
    long now = System.currentTimeMillis();
    boolean fail = last.contains("please fail");
    LlmResponse response = LlmResponse.newBuilder()
        .setRequestId(request.getId())
        .setStatus(fail ? ResponseStatus.ERROR : ResponseStatus.OK)
        .setPriority(priority)
        .setProvider("test")
        .setModel(request.getModel())
        .setContent(fail ? null : "echo: " + last)
        .setFinishReason(fail ? null : "stop")
        .setError(fail ? io.llmbroker.avro.ErrorInfo.newBuilder()
            .setErrorClass(io.llmbroker.avro.ErrorClass.CALLER_FAULT).setMessage("asked to fail").setProviderStatus(400).build() : null)
        .setUsage(TokenUsage.newBuilder().setInputTokens(10).setOutputTokens(5).build())
        .setCostMicros(fail ? 0 : COST_MICROS)
        .setTimings(Timings.newBuilder().setReceivedAt(now).setTotalMs(now - request.getCreatedAt()).build())
        .setAttempts(1)
        .setBatchId(request.getBatchId())
        .setCustomId(request.getCustomId())
        .setCompletedAt(now)
        .build();
    ProducerRecord<String, LlmResponse> reply =
        new ProducerRecord<>(topics.responses(request.getReplyTo()).name(), response.getRequestId(), response);
    if (hold.get()) {
      held.add(reply);
      return;
    }
    publish(reply);
  }

  private void publish(ProducerRecord<String, LlmResponse> reply) {
    producer.send(reply);
    if (duplicate.get()) {
      LlmResponse copy = LlmResponse.newBuilder(reply.value()).setContent("duplicate: " + reply.value().getContent()).build();
      producer.send(new ProducerRecord<>(reply.topic(), reply.key(), copy));
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close();
    producer.close();
  }
}
