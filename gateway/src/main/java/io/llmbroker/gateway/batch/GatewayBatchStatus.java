package io.llmbroker.gateway.batch;

import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The status of a gateway batch read straight from Kafka, for {@code llm-broker batch status} on
 * any machine: the batch's record and the answers on its reply topic.
 *
 * @param status OpenAI's status now
 * @param completed lines answered OK
 * @param failed lines answered otherwise
 */
public record GatewayBatchStatus(String id, String app, String status, int total, int completed, int failed) {

  /** True for ids the gateway hands out ({@code batch_...}). */
  public static boolean isGatewayBatch(String id) {
    return id.startsWith("batch_");
  }

  /**
   * @param kafka Kafka client properties; {@code schema.registry.url}, if present, picks the wire format
   * @return empty when no gateway batch has this id
   */
  public static Optional<GatewayBatchStatus> read(Map<String, Object> kafka, Topics topics, String id, long now) {
    Map<String, Object> props = new HashMap<>(kafka);
    AvroSerdes serdes = AvroSerdes.fromConfig(props);
    props.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
    GatewayBatch batch;
    try (TopicView<GatewayBatch> batches = TopicView.start(props, "llm-broker-batch-status", topics.gatewayBatches().name(),
        serdes.serde(GatewayBatch.class).deserializer(), Duration.ofSeconds(30))) {
      batch = batches.get(id).orElse(null);
    }
    if (batch == null) {
      return Optional.empty();
    }
    BatchProgress.Counts counts = new BatchProgress(props, topics, serdes).counts(batch);
    return Optional.of(new GatewayBatchStatus(batch.getId(), batch.getApp(), BatchObjects.status(batch, counts, now),
        batch.getTotal(), counts.answered() - counts.failed(), counts.failed()));
  }
}
