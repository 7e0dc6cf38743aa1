package io.llmbroker.worker.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionNumberingTest {

  @Test
  void partitionsAreNumberedPartitionMajorSoOneWorkersSamePartitionOfEveryTopicIsAdjacent() {
    PartitionNumbering numbering = PartitionNumbering.of(List.of("i", "s", "b"), new int[] {2, 2, 2});

    Set<Integer> indices = numbering.indices(List.of(new TopicPartition("i", 1), new TopicPartition("s", 1),
        new TopicPartition("b", 1), new TopicPartition("other", 0)));

    assertThat(numbering.total()).isEqualTo(6);
    assertThat(numbering.indexOf()).containsEntry(new TopicPartition("i", 0), 0).containsEntry(new TopicPartition("s", 0), 1)
        .containsEntry(new TopicPartition("b", 0), 2);
    assertThat(indices).containsExactlyInAnyOrder(3, 4, 5);
  }

  @Test
  void topicsWithFewerPartitionsAreSkippedWhereTheyEnd() {
    PartitionNumbering numbering = PartitionNumbering.of(List.of("i", "s"), new int[] {1, 3});

    assertThat(numbering.total()).isEqualTo(4);
    assertThat(numbering.indexOf()).containsEntry(new TopicPartition("s", 1), 2).containsEntry(new TopicPartition("s", 2), 3);
  }
}
