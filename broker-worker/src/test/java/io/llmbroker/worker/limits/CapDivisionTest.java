package io.llmbroker.worker.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CapDivisionTest {

  @Test
  void capDivisionSumsToExactlyTheCapForManyWorkerAndPartitionSplits() {
    for (int cap : List.of(1, 2, 3, 7, 10, 64, 100, 1000)) {
      for (int partitions : List.of(1, 3, 6, 12, 30, 90)) {
        for (int workers : List.of(1, 2, 3, 5, 7)) {

          long total = 0;
          for (int w = 0; w < workers; w++) {
            total += CapDivision.slots(cap, owned(w, workers, partitions), partitions);
          }

          assertThat(total).as("cap %d, %d partitions, %d workers", cap, partitions, workers).isEqualTo(cap);
        }
      }
    }
  }

  @Test
  void everyPartitionGetsTheFloorOrOneMore() {
    for (int i = 0; i < 12; i++) {
      assertThat(CapDivision.slots(64, i, 12)).isBetween(5L, 6L);
    }
  }

  @Test
  void aCapSmallerThanThePartitionsIsSpreadSoContiguousBlocksKeepASlot() {
    int cap = 4;
    int partitions = 12;

    for (int start = 0; start + 3 <= partitions; start++) {
      Set<Integer> block = Set.of(start, start + 1, start + 2);
      assertThat(CapDivision.slots(cap, block, partitions)).as("block from %d", start).isGreaterThanOrEqualTo(1);
    }
  }

  private static Set<Integer> owned(int worker, int workers, int partitions) {
    Set<Integer> owned = new HashSet<>();
    IntStream.range(0, partitions).filter(p -> p % workers == worker).forEach(owned::add);
    return owned;
  }
}
