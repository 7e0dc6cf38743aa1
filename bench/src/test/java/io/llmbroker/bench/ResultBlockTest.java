package io.llmbroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class ResultBlockTest {

  private static final ZonedDateTime DATE = ZonedDateTime.of(2026, 11, 23, 22, 5, 0, 0, ZoneOffset.UTC);

  @Test
  void aBlockStatesWhatHowMachineDateTargetFiguresAndVerdict() {
    Machine quiet = new Machine(2, 8L * 1024 * 1024 * 1024, "OpenJDK 17", "Linux 6", 0.3);
    ResultBlock block = new ResultBlock("Added latency")
        .what("submit to reply").how("open loop").command("llm-broker bench latency")
        .ranOn(quiet, DATE).target("p50 ≤ 5 ms").anchor("LiteLLM 12 ms")
        .figure("p50", ResultBlock.millis(3_210))
        .verdict(true, "p50 3.21 ms ≤ 5 ms");

    String md = block.markdown();

    assertThat(md).startsWith("### Added latency\n")
        .contains("- **What:** submit to reply\n", "- **How:** open loop\n", "- **Command:** `llm-broker bench latency`\n",
            "- **Machine:** 2 CPUs, 8.0 GiB RAM, OpenJDK 17, Linux 6; load average 0.30 at start\n",
            "- **Date:** 2026-11-23 22:05 UTC\n", "- **Target:** p50 ≤ 5 ms\n", "- **Anchor:** LiteLLM 12 ms\n",
            "| figure | value |\n|---|---|\n| p50 | 3.21 ms |\n", "**Result: met** (p50 3.21 ms ≤ 5 ms)")
        .doesNotContain("under load");
  }

  @Test
  void aRunStartedUnderLoadIsMarkedAndAMissIsSaid() {
    Machine busy = new Machine(2, 0, "OpenJDK 17", "Linux 6", 4.2);

    String md = new ResultBlock("Throughput").ranOn(busy, DATE)
        .columns("priority topics", "one FIFO topic").figure("p99", "12 ms", "≥ 9,000 ms")
        .verdict(false, "p99 > 100 ms").markdown();

    assertThat(md).contains("**Taken under load:**", "| figure | priority topics | one FIFO topic |\n|---|---|---|\n",
        "| p99 | 12 ms | ≥ 9,000 ms |", "**Result: missed** (p99 > 100 ms)");
  }
}
