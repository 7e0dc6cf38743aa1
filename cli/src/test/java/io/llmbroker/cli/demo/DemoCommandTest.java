package io.llmbroker.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.cli.LlmBrokerCommand;
import java.io.IOException;
import java.math.BigDecimal;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job, small: its own broker in a child JVM, traffic through every service, the report. */
class DemoCommandTest {

  @TempDir
  Path data;

  @Test
  void theDemoAnswersEveryRequestReportsCostAndArchiveAndExitsZero() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    int exit;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      exit = LlmBrokerCommand.commandLine().execute("demo", "--data-dir", data.toString(),
          "--kafka-port", String.valueOf(freePort()), "--controller-port", String.valueOf(freePort()),
          "--batch", "40", "--interactive-rate", "20");
    } finally {
      System.setOut(stdout);
    }
    String report = captured.toString(StandardCharsets.UTF_8);

    assertThat(exit).as(report).isZero();
    assertThat(report).contains("Answered 60 requests")
        .containsPattern("interactive +10 +0 +0 +0 +0 +10")
        .containsPattern("batch +40 +0 +0 +0 +0 +40")
        .contains("Cost by team, as answered by the cost aggregator")
        .contains("Audit archive: 60 records under");
    Matcher total = Pattern.compile("all +(\\S+) +\\(the responses themselves add up to (\\S+)\\)").matcher(report);
    assertThat(total.find()).as(report).isTrue();
    assertThat(total.group(1)).as("the aggregator's total equals the responses' costs").isEqualTo(total.group(2));
    assertThat(new BigDecimal(total.group(1))).isPositive();
  }

  @Test
  void anImpossibleRateIsRefusedNamingTheOption() {
    int exit = LlmBrokerCommand.commandLine().execute("demo", "--interactive-rate", "0");

    assertThat(exit).isEqualTo(2);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
