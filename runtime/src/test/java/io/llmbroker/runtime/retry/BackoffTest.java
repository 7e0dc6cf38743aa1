package io.llmbroker.runtime.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackoffTest {

  private final Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void delaysGrowExponentiallyWithinTheJitterAndStopAtTheMaximum() {
    for (int i = 0; i < 200; i++) {
      assertThat(backoff.delay(1)).isBetween(Duration.ofMillis(50), Duration.ofMillis(150));
      assertThat(backoff.delay(3)).isBetween(Duration.ofMillis(200), Duration.ofMillis(600));
      assertThat(backoff.delay(30)).isLessThanOrEqualTo(Duration.ofSeconds(2));
    }
  }

  @Test
  void aRetryAfterLongerThanTheBackoffIsHonoured() {
    assertThat(backoff.delay(1, Optional.of(Duration.ofSeconds(5)))).isEqualTo(Duration.ofSeconds(5));
    assertThat(backoff.delay(1, Optional.of(Duration.ofMillis(1)))).isGreaterThanOrEqualTo(Duration.ofMillis(50));
  }

  @Test
  void aMaximumBelowTheInitialDelayIsRefusedWithBothValues() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(1), Duration.ofMillis(10)))
        .hasMessageContaining("PT1S").hasMessageContaining("PT0.01S");
  }
}
