package io.llmbroker.runtime.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogLimiterTest {

  private final AtomicLong now = new AtomicLong(42);
  private final LogLimiter limiter = new LogLimiter(Duration.ofSeconds(10), now::get);

  @Test
  void aFloodOfOneKindWritesOneLinePerIntervalAndTheNextSaysHowManyWereHeldBack() {
    long written = IntStream.range(0, 5_000).filter(i -> limiter.admit("dead_letter") >= 0).count();
    now.addAndGet(Duration.ofSeconds(10).toNanos());

    long reported = limiter.admit("dead_letter");

    assertThat(written).isEqualTo(1);
    assertThat(reported).isEqualTo(4_999);
    assertThat(limiter.admit("dead_letter")).isEqualTo(-1);
  }

  @Test
  void kindsAreLimitedApart() {
    limiter.admit("dead_letter");

    assertThat(limiter.admit("decode_retry")).isZero();
    assertThat(limiter.admit("dead_letter")).isEqualTo(-1);
  }

  @Test
  void aKindStaysQuietUntilItsIntervalHasPassed() {
    limiter.admit("invalid");
    now.addAndGet(Duration.ofSeconds(10).toNanos() - 1);

    assertThat(limiter.admit("invalid")).isEqualTo(-1);
    now.addAndGet(1);
    assertThat(limiter.admit("invalid")).isEqualTo(1);
  }
}
