package io.llmbroker.client.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The submitter's heap does not grow with the lines it has sent. Measured in a child JVM (serial
 * GC, heap in use after a full collection), because the test broker shares this one's heap.
 */
class BatchSubmitterMemoryTest {

  private static final long FIRST = 20_000;
  private static final long LINES = 140_000;
  /**
   * A set of custom_id hashes (the state kept per line before) grew the heap by 16 MB over 200,000
   * lines, about 10 MB over these 120,000; without it the growth is under 1 MB.
   */
  private static final long MAX_GROWTH_BYTES = 3L << 20;

  @TempDir
  Path dir;

  @Test
  void aSubmitterKeepsNoStatePerLine() throws Exception {
    Topics topics = KafkaFixture.isolatedTopics(3);
    KafkaFixture kafka = KafkaFixture.get();
    kafka.createTopics(List.copyOf(topics.requestTopics()));
    Path log = dir.resolve("probe.log");

    Process probe = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path"), SubmitHeapProbe.class.getName(),
        kafka.bootstrapServers(), topics.prefix(), dir.resolve("state").toString(), String.valueOf(LINES), String.valueOf(FIRST))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean exited = probe.waitFor(4, TimeUnit.MINUTES);
    if (!exited) {
      probe.destroyForcibly();
    }
    String output = Files.readString(log);
    Map<Long, Long> heap = new HashMap<>();
    output.lines().filter(l -> l.startsWith("heap ")).map(l -> l.split(" "))
        .forEach(f -> heap.put(Long.parseLong(f[1]), Long.parseLong(f[2])));
    BatchManifest manifest = new BatchStore(dir.resolve("state"), new BatchId("heap-probe")).manifest().orElseThrow();

    assertThat(exited && probe.exitValue() == 0).as("probe finished cleanly:%n%s", output).isTrue();
    assertThat(manifest.complete()).isTrue();
    assertThat(manifest.enqueuedThrough()).isEqualTo(LINES);
    assertThat(heap.get(LINES) - heap.get(FIRST)).as("heap growth from line %d to line %d, in bytes (%s)", FIRST, LINES, heap)
        .isLessThan(MAX_GROWTH_BYTES);
  }
}
