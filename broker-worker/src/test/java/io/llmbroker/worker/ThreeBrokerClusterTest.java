package io.llmbroker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker on a cluster of three brokers (every topic replicated three times,
 * {@code min.insync.replicas} 2): one broker, the worker group's coordinator, stops while
 * requests flow in and answers flow out; every request is still answered.
 */
class ThreeBrokerClusterTest {

  private static final int REQUESTS = 600;
  private static final Duration WAIT = Duration.ofSeconds(120);

  private static KafkaFixture cluster;

  @BeforeAll
  static void startCluster() {
    cluster = KafkaFixture.cluster(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void stoppingABrokerUnderLoadLosesNoRequestAndTheWorkerCarriesOn() throws Exception {
    Topics topics = KafkaFixture.isolatedTopics(3);
    try (Admin admin = cluster.admin()) {
      Topics.createMissing(admin, List.of(topics.requests(Priority.STANDARD), topics.responses("svc"),
          topics.usage(), topics.audit(), topics.dlq()), (short) 3);
    }
    WorkerConfig config = WorkerConfig.parse("""
        worker: {id: w-cluster}
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: 3, replication-factor: 3}
        ops: {host: 127.0.0.1, port: 0}
        intake: {drain-timeout: 10s, commit-interval: 200ms}
        %s""".formatted(cluster.bootstrapServers(), topics.prefix(), WorkerTestKit.SIM_ROUTING), Map.of());
    AvroSerdes serdes = AvroSerdes.singleObject();
    Properties producerProps = cluster.clientProperties();
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);

    try (WorkerService worker = WorkerService.start(config, Map.of());
        var producer = new KafkaProducer<>(producerProps, new StringSerializer(), serdes.serde(LlmRequest.class).serializer());
        var replies = replyReader(topics, serdes)) {
      Awaitility.await("worker ready").atMost(WAIT).until(worker::ready);
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      Map<String, LlmResponse> answered = new HashMap<>();
      for (int i = 0; i < REQUESTS; i++) {
        String id = "req-" + i;
        LlmRequest request = WorkerTestKit.request(id).build();
        sent.add(producer.send(new ProducerRecord<>(topics.requests(Priority.STANDARD).name(), id, request)));
        if (i == REQUESTS / 3) {
          awaitReplies(replies, answered, 50);
          cluster.stopBroker(coordinatorOf(topics));
        }
      }
      for (Future<RecordMetadata> f : sent) {
        f.get();
      }

      awaitReplies(replies, answered, REQUESTS);

      assertThat(answered).hasSize(REQUESTS);
      assertThat(answered.values()).extracting(LlmResponse::getStatus).containsOnly(ResponseStatus.OK);
      assertThat(worker.ready()).as("ready after the broker stopped").isTrue();
    }
  }

  private static int coordinatorOf(Topics topics) throws Exception {
    try (Admin admin = cluster.admin()) {
      String group = topics.prefix() + "llm-broker-worker";
      return admin.describeConsumerGroups(List.of(group)).all().get().get(group).coordinator().id();
    }
  }

  private static KafkaConsumer<String, LlmResponse> replyReader(Topics topics, AvroSerdes serdes) {
    Properties props = cluster.clientProperties();
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var consumer = new KafkaConsumer<>(props, new StringDeserializer(), serdes.serde(LlmResponse.class).deserializer());
    String topic = topics.responses("svc").name();
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private static void awaitReplies(KafkaConsumer<String, LlmResponse> replies, Map<String, LlmResponse> answered, int count) {
    Awaitility.await(count + " requests answered").atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
      replies.poll(Duration.ofMillis(200)).forEach(r -> answered.putIfAbsent(r.key(), r.value()));
      return answered.size() >= count;
    });
  }
}
