package io.llmbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.schemas.signing.RequestSigning;
import io.llmbroker.testsupport.KafkaFixture;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class SignedRequestsTest {

  private final KafkaFixture kafka = KafkaFixture.get();
  private final KeyPair key = RequestSigning.generateKeyPair();
  private final String privateKey = RequestSigning.encodePrivateKey(key.getPrivate());

  @Test
  void aClientWithASigningKeySignsEveryRequestForTheTopicItIsSentOn() throws Exception {
    Topics topics = KafkaFixture.isolatedTopics(1);
    kafka.createTopics(List.copyOf(topics.requestTopics()));
    ClientConfig config = ClientConfig.of(kafka.bootstrapServers(), "signer").withTopicPrefix(topics.prefix())
        .withSigning("k-1", privateKey);

    try (TestResponder responder = new TestResponder(kafka.bootstrapServers(), topics);
        LlmBrokerClient client = LlmBrokerClient.create(config)) {
      client.request().id("signed-1").model("fast").team("t").app("a").priority(Priority.INTERACTIVE).user("hi")
          .submit().get(30, TimeUnit.SECONDS);
    }

    String topic = topics.requests(Priority.INTERACTIVE).name();
    LlmRequest sent = readOne(topic);
    assertThat(sent.getSignature().getKeyId()).isEqualTo("k-1");
    assertThat(RequestSigning.verify(sent, topic, key.getPublic())).isTrue();
    assertThat(RequestSigning.verify(sent, topics.requests(Priority.BATCH).name(), key.getPublic())).isFalse();
  }

  @Test
  void theSigningKeyNeverAppearsInTheConfigsTextNorInItsErrors() {
    ClientConfig config = ClientConfig.of("localhost:9092", "svc").withSigning("k-1", privateKey);

    assertThat(config.toString()).contains("k-1").doesNotContain(privateKey);
    assertThatThrownBy(() -> ClientConfig.of("localhost:9092", "svc").withSigning("k-1", "bm90LWEta2V5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("signing-key")
        .hasMessageNotContaining("bm90LWEta2V5");
    assertThatThrownBy(() -> ClientConfig.of("localhost:9092", "svc").withSigning(null, privateKey))
        .hasMessageContaining("signing-key-id");
  }

  @Test
  void aYamlConfigTakesTheSigningKeyFromTheEnvironment() {
    ClientConfig config = ConfigFile.parse("""
        bootstrap-servers: localhost:9092
        service: svc
        signing-key-id: k-1
        signing-key: ${LLM_BROKER_SIGNING_KEY}
        """, ClientConfig.class, Map.of("LLM_BROKER_SIGNING_KEY", privateKey));

    assertThat(config.signer()).get().extracting(RequestSigner::keyId).isEqualTo("k-1");
    assertThat(config.signingKey()).isEqualTo(privateKey);
  }

  private LlmRequest readOne(String topic) {
    try (KafkaConsumer<String, LlmRequest> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringDeserializer(),
        AvroSerdes.singleObject().serde(LlmRequest.class).deserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, LlmRequest> record : consumer.poll(Duration.ofMillis(200))) {
          return record.value();
        }
      }
      throw new AssertionError("no request on " + topic);
    }
  }
}
