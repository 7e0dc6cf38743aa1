package io.llmbroker.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** {@code batch status} on a gateway batch reads everything from Kafka: no state folder, any machine. */
class GatewayBatchStatusTest {

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(1);
  private final AvroSerdes serdes = AvroSerdes.singleObject();

  @Test
  void statusOfAGatewayBatchComesFromItsRecordAndItsReplyTopic() throws Exception {
    String id = "batch_0123456789abcdef01234567";
    kafka.createTopics(List.of(topics.gatewayBatches(), topics.responses("batch-" + id)));
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
        new ByteArraySerializer())) {
      GatewayBatch batch = GatewayBatch.newBuilder().setId(id).setApp("ranker").setInputFileId("file-1")
          .setStatus("in_progress").setTotal(3).setCreatedAt(1).setExpiresAt(Long.MAX_VALUE).build();
      producer.send(new ProducerRecord<>(topics.gatewayBatches().name(), id,
          serdes.serde(GatewayBatch.class).serializer().serialize("t", batch))).get(30, TimeUnit.SECONDS);
      for (String customId : List.of("a", "b", "a")) {
        LlmResponse reply = LlmResponse.newBuilder().setRequestId(id + "-" + customId).setCustomId(customId).setBatchId(id)
            .setStatus(customId.equals("b") ? ResponseStatus.ERROR : ResponseStatus.OK).setCompletedAt(2)
            .setTimings(Timings.newBuilder().setReceivedAt(1).build()).build();
        producer.send(new ProducerRecord<>(topics.responses("batch-" + id).name(), reply.getRequestId(),
            serdes.serde(LlmResponse.class).serializer().serialize("t", reply))).get(30, TimeUnit.SECONDS);
      }
    }

    CliRun run = CliRun.run(new BatchStatusCommand(), id, "--bootstrap-server", kafka.bootstrapServers(),
        "--topic-prefix", topics.prefix());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("batch " + id + " (gateway, app ranker): in_progress, 2 of 3 lines done, 1 completed, 1 failed");
  }
}
