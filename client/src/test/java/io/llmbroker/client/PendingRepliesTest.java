package io.llmbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PendingRepliesTest {

  private final PendingReplies pending = new PendingReplies(p -> "test", Runnable::run);

  @AfterEach
  void close() {
    pending.close();
  }

  @Test
  void aSecondReplyToTheSameRequestChangesNothing() {
    CompletableFuture<LlmResponse> future = pending.register("r1", Duration.ofMinutes(1)).future;

    pending.complete(reply("r1", "first"));
    pending.complete(reply("r1", "second"));

    assertThat(future.join().getContent()).isEqualTo("first");
    assertThat(pending.size()).isZero();
  }

  @Test
  void aReplyToNoWaitingRequestIsDropped() {
    CompletableFuture<LlmResponse> mine = pending.register("mine", Duration.ofMinutes(1)).future;

    pending.complete(reply("someone-elses", "x"));

    assertThat(mine).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
  }

  @Test
  void aTimedOutRequestIsFreedAndItsLateReplyIgnored() {
    CompletableFuture<LlmResponse> future = pending.register("slow", Duration.ofMillis(1)).future;

    assertThatThrownBy(future::join).cause().isInstanceOf(RequestTimeoutException.class).hasMessageContaining("slow");
    pending.complete(reply("slow", "too late"));

    assertThat(future).isCompletedExceptionally();
    assertThat(pending.size()).isZero();
  }

  @Test
  void aReplyCompletesItsFutureOnTheCallbackExecutorNotOnTheReportingThread() {
    List<Runnable> queued = new ArrayList<>();
    PendingReplies deferred = new PendingReplies(p -> "test", queued::add);
    CompletableFuture<LlmResponse> future = deferred.register("r1", Duration.ofMinutes(1)).future;

    deferred.complete(reply("r1", "answer"));

    assertThat(future).isNotDone();
    queued.forEach(Runnable::run);
    assertThat(future.join().getContent()).isEqualTo("answer");
    deferred.close();
  }

  @Test
  void aDuplicateNeverWinsEvenWhenItsCallbackRunsFirst() {
    List<Runnable> queued = new ArrayList<>();
    PendingReplies deferred = new PendingReplies(p -> "test", queued::add);
    CompletableFuture<LlmResponse> future = deferred.register("r1", Duration.ofMinutes(1)).future;

    deferred.complete(reply("r1", "first"));
    deferred.complete(reply("r1", "duplicate"));
    for (int i = queued.size() - 1; i >= 0; i--) {
      queued.get(i).run();
    }

    assertThat(future.join().getContent()).isEqualTo("first");
    assertThat(deferred.size()).isZero();
    deferred.close();
  }

  @Test
  void anIdAlreadyWaitingCannotBeRegisteredTwice() {
    pending.register("same", Duration.ofMinutes(1));

    assertThatThrownBy(() -> pending.register("same", Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same");
  }

  private static LlmResponse reply(String id, String content) {
    return LlmResponse.newBuilder().setRequestId(id).setStatus(ResponseStatus.OK).setContent(content)
        .setTimings(Timings.newBuilder().setReceivedAt(0).build()).setCompletedAt(0).build();
  }
}
