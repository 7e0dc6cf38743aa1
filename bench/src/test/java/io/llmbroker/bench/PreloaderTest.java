package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class PreloaderTest {

  @Test
  void aRequestsPartitionIsTheOneTheProducersDefaultPartitionerPicksForItsKey() {
    IntStream.range(0, 1_000).mapToObj(i -> UUID.randomUUID().toString()).forEach(id ->
        assertThat(Preloader.partitionOf(id, 6)).as(id)
            .isEqualTo(BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), 6)));
  }
}
