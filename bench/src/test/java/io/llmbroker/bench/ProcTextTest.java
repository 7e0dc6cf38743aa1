package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProcTextTest {

  @Test
  void residentMemoryAndItsPeakAreReadFromProcStatus() {
    String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  412300 kB\nVmRSS:\t  398765 kB\nThreads:\t42\n";

    assertThat(ProcStatus.kilobytes(status, "VmRSS")).isEqualTo(OptionalLong.of(398_765));
    assertThat(ProcStatus.kilobytes(status, "VmHWM")).isEqualTo(OptionalLong.of(412_300));
    assertThat(ProcStatus.kilobytes(status, "VmSwap")).isEmpty();
  }

  @Test
  void thisProcessHasAResidentSetNoLargerThanItsPeak() {
    var memory = ProcStatus.read(ProcessHandle.current().pid());

    assertThat(memory).hasValueSatisfying(m -> {
      assertThat(m.rssBytes()).isPositive();
      assertThat(m.peakRssBytes()).isGreaterThanOrEqualTo(m.rssBytes());
    });
  }

  @Test
  void totalMemoryIsReadFromMeminfoInBytes() {
    assertThat(Machine.memTotalBytes("MemTotal:       24641536 kB\nMemFree:  100 kB\n"))
        .isEqualTo(OptionalLong.of(24_641_536L * 1024));
  }

  @Test
  void aGaugeIsSummedOverItsSeriesAndOtherMetricsAreIgnored() {
    String metrics = """
        # HELP llm_broker_lane_in_flight calls in flight
        # TYPE llm_broker_lane_in_flight gauge
        llm_broker_lane_in_flight{deployment="a"} 1200.0
        llm_broker_lane_in_flight{deployment="b"} 800.0
        llm_broker_lane_in_flight_max{deployment="a"} 5.0
        llm_broker_lane_capacity{deployment="a"} 2000.0
        """;

    assertThat(PrometheusText.sum(metrics, "llm_broker_lane_in_flight")).isEqualTo(OptionalDouble.of(2000.0));
    assertThat(PrometheusText.sum(metrics, "llm_broker_worker_in_flight")).isEmpty();
  }
}
