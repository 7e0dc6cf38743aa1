package io.llmbroker.client.batch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AckWatermarkTest {

  @Test
  void theWatermarkStopsAtTheFirstLineNotYetAcknowledged() {
    AckWatermark watermark = new AckWatermark(0);

    watermark.ack(2);
    watermark.ack(3);
    long beforeGapCloses = watermark.through();
    watermark.ack(1);

    assertThat(beforeGapCloses).isZero();
    assertThat(watermark.through()).isEqualTo(3);
    assertThat(watermark.waiting()).isZero();
  }

  @Test
  void onlyAcknowledgementsBeyondAGapAreRemembered() {
    AckWatermark watermark = new AckWatermark(0);

    for (long line = 1; line <= 1_000_000; line++) {
      watermark.ack(line);
    }
    watermark.ack(1_000_002);

    assertThat(watermark.through()).isEqualTo(1_000_000);
    assertThat(watermark.waiting()).isEqualTo(1);
  }

  @Test
  void aResumedWatermarkStartsWhereTheLastRunStopped() {
    AckWatermark watermark = new AckWatermark(100);

    watermark.ack(101);

    assertThat(watermark.through()).isEqualTo(101);
  }
}
