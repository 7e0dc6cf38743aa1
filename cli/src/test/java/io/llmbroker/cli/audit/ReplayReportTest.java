package io.llmbroker.cli.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Timings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replay report says why the candidate's calls failed, counted by status and reason. */
class ReplayReportTest {

  @Test
  void failedCandidateCallsAreCountedByStatusAndReason() {
    LlmResponse refused = response("b", ResponseStatus.REJECTED, "app 'search' is not registered (rule: registered-app)");
    List<Replay.Pair> pairs = List.of(
        new Replay.Pair("a", "OK", "hello there", 10, 100, response("a", ResponseStatus.OK, null)),
        new Replay.Pair("b", "OK", "hello", 10, 100, refused),
        new Replay.Pair("c", "OK", "hi", 10, 100, response("c", ResponseStatus.REJECTED,
            "app 'search' is not registered (rule: registered-app)")));

    String report = Replay.report("replay-1", "created any time", "smart", pairs);

    assertThat(report).contains("| errors | 0 | 2 |")
        .contains("## Why the candidate's calls failed")
        .contains("| 2 | REJECTED: app 'search' is not registered (rule: registered-app) |");
  }

  private static LlmResponse response(String id, ResponseStatus status, String error) {
    LlmResponse.Builder r = LlmResponse.newBuilder().setRequestId(id).setStatus(status)
        .setContent(status == ResponseStatus.OK ? "hello there" : null)
        .setTimings(Timings.newBuilder().setReceivedAt(0).setTotalMs(50).build()).setCompletedAt(0);
    if (error != null) {
      r.setError(ErrorInfo.newBuilder().setErrorClass(ErrorClass.CREDENTIAL).setMessage(error).build());
    }
    return r.build();
  }
}
