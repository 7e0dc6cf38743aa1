package io.llmbroker.client.batch;

import io.llmbroker.client.ClientConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Run in a JVM of its own by {@link BatchSubmitterMemoryTest}, so that no broker shares its heap:
 * adds {@code lines} lines to a batch through {@link BatchSubmitter#add} and prints the heap in
 * use after a full GC once {@code first} lines were added and again after the last one, as
 * {@code heap <lines> <bytes>}.
 */
public final class SubmitHeapProbe {

  private SubmitHeapProbe() {}

  public static void main(String[] args) {
    String bootstrap = args[0];
    String prefix = args[1];
    Path stateDir = Path.of(args[2]);
    long lines = Long.parseLong(args[3]);
    long first = Long.parseLong(args[4]);
    // A small producer buffer, so that its pool's fill level cannot blur the figure.
    ClientConfig config = ClientConfig.of(bootstrap, "probe").withTopicPrefix(prefix)
        .withKafka(Map.of("buffer.memory", String.valueOf(2 << 20), "batch.size", String.valueOf(64 << 10)));
    BatchOptions options = new BatchOptions(new BatchId("heap-probe"), "probe", null, null, "fast", null, stateDir);
    try (BatchSubmitter batch = BatchSubmitter.open(config, options)) {
      for (long i = 1; i <= lines; i++) {
        String text = "Summarise support ticket number " + i;
        batch.add("ticket-" + i, r -> r.user(text));
        if (i == first || i == lines) {
          System.out.println("heap " + i + " " + usedHeapAfterGc());
        }
      }
    }
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
