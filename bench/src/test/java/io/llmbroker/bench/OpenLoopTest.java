package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenLoopTest {

  private long now = 1_000_000;

  @Test
  void everySendIsTimedFromItsDueTimeEvenAfterAStall() {
    OpenLoop loop = new OpenLoop(100, () -> now, nanos -> now += nanos);
    List<long[]> sends = new ArrayList<>();

    long count = loop.run(Duration.ofMillis(100), (i, due) -> {
      sends.add(new long[] {i, due, now});
      if (i == 2) {
        now += Duration.ofMillis(45).toNanos();
      }
    });

    assertThat(count).isEqualTo(10);
    assertThat(sends).extracting(s -> s[1] - 1_000_000)
        .containsExactly(0L, 10_000_000L, 20_000_000L, 30_000_000L, 40_000_000L, 50_000_000L, 60_000_000L,
            70_000_000L, 80_000_000L, 90_000_000L);
    // The sends that fell due during the stall go out at once, late, instead of being skipped.
    assertThat(sends.get(3)[2]).isEqualTo(1_000_000 + Duration.ofMillis(65).toNanos());
    assertThat(sends.get(7)[2]).isEqualTo(sends.get(7)[1]);
  }

  @Test
  void aRateThatIsNotPositiveIsRefusedNamingIt() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new OpenLoop(0, () -> now, nanos -> { }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rate must be > 0 requests/s: 0.0");
  }
}
