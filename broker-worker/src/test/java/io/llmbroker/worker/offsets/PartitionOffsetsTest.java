package io.llmbroker.worker.offsets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {

  @Test
  void nothingIsCommittableBeforeTheFirstRecord() {
    PartitionOffsets offsets = new PartitionOffsets();

    assertThat(offsets.committable()).isEmpty();
  }

  @Test
  void committedOffsetIsTheLowestIncompleteWhenLaterRecordsFinishFirst() {
    PartitionOffsets offsets = new PartitionOffsets();
    for (long o = 10; o < 15; o++) {
      offsets.started(o);
    }

    offsets.completed(14);
    offsets.completed(12);
    offsets.completed(11);

    assertThat(offsets.committable()).hasValue(10);
  }

  @Test
  void committedOffsetJumpsPastEverythingOnceTheSlowRecordCompletes() {
    PartitionOffsets offsets = new PartitionOffsets();
    for (long o = 10; o < 15; o++) {
      offsets.started(o);
    }
    offsets.completed(11);
    offsets.completed(12);
    offsets.completed(13);
    offsets.completed(14);

    offsets.completed(10);

    assertThat(offsets.committable()).hasValue(15);
    assertThat(offsets.inFlightCount()).isZero();
  }

  @Test
  void offsetGapsLeftByTheLogAreSkipped() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.started(3);
    offsets.started(7);

    offsets.completed(3);

    assertThat(offsets.committable()).hasValue(7);
  }

  @Test
  void aFailedRecordHoldsTheCommitBackButIsNoLongerInFlight() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.started(0);
    offsets.started(1);
    offsets.started(2);

    offsets.failed(1);
    offsets.completed(0);
    offsets.completed(2);

    assertThat(offsets.committable()).hasValue(1);
    assertThat(offsets.inFlightCount()).isZero();
  }

  @Test
  void onlyProgressBeyondTheLastCommitIsOfferedForCommit() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.started(0);
    offsets.completed(0);
    offsets.committed(1);

    assertThat(offsets.toCommit()).isEmpty();

    offsets.started(1);
    offsets.completed(1);

    assertThat(offsets.toCommit()).hasValue(2);
  }

  @Test
  void aCompletionFromBeforeARevokeIsRecognisedAsStaleAfterReassignment() {
    OffsetTracker tracker = new OffsetTracker();
    TopicPartition partition = new TopicPartition("llm.requests.batch", 0);
    PartitionOffsets before = tracker.assign(partition);
    before.started(5);
    tracker.forget(List.of(partition));

    PartitionOffsets after = tracker.assign(partition);
    after.started(5);

    assertThat(tracker.isCurrent(partition, before)).isFalse();
    assertThat(tracker.isCurrent(partition, after)).isTrue();
    assertThat(tracker.inFlight(List.of(partition))).isEqualTo(1);
  }
}
