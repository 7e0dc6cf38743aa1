package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PartitionRecoveryTest {

  private static final int PARTITIONS = 6;
  private static final long KILL = 1_000_000;

  @Test
  void servedAgainIsTheLastOfTheKilledWorkersPartitionsToGetAReplyAfterTheKill() {
    PartitionRecovery recovery = new PartitionRecovery(PARTITIONS);
    recovery.arm(KILL, Set.of(1, 4));

    recovery.onResponse(reply(idIn(1), KILL - 5), 0, false);
    recovery.onResponse(reply(idIn(2), KILL + 100), 0, false);
    recovery.onResponse(reply(idIn(4), KILL + 7_000), 0, true);
    recovery.onResponse(reply(idIn(4), KILL + 9_000), 0, false);

    assertThat(recovery.millisUntilAllServed()).as("partition 1 has had no reply since the kill").isEmpty();
    assertThat(recovery.waiting()).containsExactly(1);

    recovery.onResponse(reply(idIn(1), KILL + 6_500), 0, false);

    assertThat(recovery.millisUntilAllServed()).hasValue(7_000);
    assertThat(recovery.waiting()).isEmpty();
  }

  @Test
  void beforeItIsArmedNoReplyCounts() {
    PartitionRecovery recovery = new PartitionRecovery(PARTITIONS);

    recovery.onResponse(reply(idIn(1), KILL), 0, false);

    assertThat(recovery.millisUntilAllServed()).isEmpty();
  }

  /** A request id the default partitioner sends to {@code partition}. */
  private static String idIn(int partition) {
    return IntStream.iterate(0, i -> i + 1).mapToObj(i -> "req-" + i)
        .filter(id -> Preloader.partitionOf(id, PARTITIONS) == partition).findFirst().orElseThrow();
  }

  private static LlmResponse reply(String id, long completedAt) {
    return LlmResponse.newBuilder().setRequestId(id).setStatus(ResponseStatus.OK)
        .setTimings(Timings.newBuilder().setReceivedAt(0).build()).setCompletedAt(completedAt).build();
  }
}
