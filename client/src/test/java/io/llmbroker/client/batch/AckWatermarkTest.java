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
  }

  @Test
  void aResumedWatermarkStartsWhereTheLastRunStopped() {
    AckWatermark watermark = new AckWatermark(100);

    watermark.ack(101);

    assertThat(watermark.through()).isEqualTo(101);
  }
}
