package io.llmbroker.cli.local;

import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.Awaitility;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.audit.AuditArchive;
import io.llmbroker.avro.Granularity;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.costs.query.CostQuery;
import io.llmbroker.costs.query.CostQueryClient;
import io.llmbroker.costs.query.CostRow;
import io.llmbroker.costs.query.Dimension;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.publishing.DeadLetters;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One request through every module on a real broker: the client submits, the worker answers,
 * the cost aggregator rolls the cost up, the audit archiver archives the record, and a garbage
 * record on a request topic goes to the dead-letter topic without stopping the worker.
 */
class EndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path state;

  @Test
  void aRequestIsAnsweredCostedAndArchivedWhileGarbageGoesToTheDeadLetterTopic() throws Exception {
    String bootstrap = KafkaFixture.get().bootstrapServers();
    String prefix = "e2e" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Topics topics = new Topics(prefix, Optional.empty());
    var options = new LocalStack.Options(state, state, 0, 0, prefix, null, 0, false);

    try (LocalStack stack = LocalStack.startOn(bootstrap, options);
        LlmBrokerClient client = LlmBrokerClient.create(ClientConfig.of(bootstrap, "e2e")
            .withTopicPrefix(prefix).withDefaultTimeout(WAIT))) {
      stack.awaitReady(WAIT);
      LlmResponse first = ask(client, "What is Kafka?");
      byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
      produceRaw(bootstrap, topics.requests(Priority.STANDARD).name(), garbage);
      LlmResponse second = ask(client, "And Avro?");

      assertThat(List.of(first, second)).allSatisfy(reply -> {
        assertThat(reply.getStatus()).isEqualTo(ResponseStatus.OK);
        assertThat(reply.getContent()).isNotBlank();
        assertThat(reply.getCostMicros()).isPositive();
      });

      ConsumerRecord<byte[], byte[]> dead = firstRecord(bootstrap, topics.dlq().name());
      assertThat(dead.value()).isEqualTo(garbage);
      assertThat(header(dead, DeadLetters.TOPIC)).isEqualTo(topics.requests(Priority.STANDARD).name());
      assertThat(header(dead, DeadLetters.OFFSET)).isNotBlank();
      assertThat(header(dead, DeadLetters.PARTITION)).isNotBlank();
      assertThat(header(dead, DeadLetters.ERROR_MESSAGE)).contains("LlmRequest");

      long expectedCost = first.getCostMicros() + second.getCostMicros();
      CostQueryClient costs = new CostQueryClient(URI.create("http://localhost:" + stack.costs().port()));
      Instant now = Instant.now();
      CostQuery query = CostQuery.of(Granularity.HOUR, now.minus(Duration.ofHours(2)), now.plus(Duration.ofHours(1)))
          .groupedBy(Dimension.TEAM).where(Dimension.TEAM, "search");
      assertThat(eventually(() -> costOf(costs, query) == expectedCost))
          .as("the rollup shows the cost of both requests").isTrue();

      assertThat(eventually(() -> AuditArchive.count(stack.audit().archiveDir()) == 2))
          .as("the archive holds both requests, once each").isTrue();
    }
  }

  /** The summed cost, or -1 while the aggregator's stores are not readable yet (it answers 503). */
  private static long costOf(CostQueryClient costs, CostQuery query) {
    try {
      return costs.query(query).stream().mapToLong(CostRow::costMicros).sum();
    } catch (CostQueryClient.CostQueryException e) {
      if (e.status() == 503) {
        return -1;
      }
      throw e;
    }
  }

  private static LlmResponse ask(LlmBrokerClient client, String prompt) throws Exception {
    return client.request().team("search").app("ranker").model("fast").user(prompt)
        .priority(Priority.INTERACTIVE).submit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static void produceRaw(String bootstrap, String topic, byte[] value) throws Exception {
    try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", bootstrap),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, "garbage".getBytes(StandardCharsets.UTF_8), value)).get();
    }
  }

  private static ConsumerRecord<byte[], byte[]> firstRecord(String bootstrap, String topic) {
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (var consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          return record;
        }
      }
    }
    throw new AssertionError("nothing arrived on " + topic + " within " + WAIT);
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static boolean eventually(BooleanSupplier condition) {
    try {
      Awaitility.await().atMost(WAIT).until(condition::getAsBoolean);
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }
}
