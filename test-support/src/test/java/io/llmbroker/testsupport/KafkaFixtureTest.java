package io.llmbroker.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaFixtureTest {

  @Test
  void theSharedBrokerCarriesRecordsAndCreatesTheCatalogueTopics() throws Exception {
    KafkaFixture kafka = KafkaFixture.get();
    Topics topics = KafkaFixture.isolatedTopics(2);

    kafka.createTopics(topics.all());

    try (var admin = kafka.admin()) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
          .contains(topics.requests(Priority.INTERACTIVE).name(), topics.dlq().name());
    }
    assertThat(roundTrip(kafka.bootstrapServers(), topics.dlq().name())).isEqualTo("hello");
  }

  static String roundTrip(String bootstrap, String topic) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", "hello")).get(30, TimeUnit.SECONDS);
    }
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "fixture-test-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          return r.value();
        }
      }
    }
    return null;
  }
}
