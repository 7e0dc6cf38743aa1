package io.llmbroker.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The machine a benchmark ran on, as a result block states it: CPUs, RAM, JDK, OS and the load
 * average when the run started. Immutable.
 *
 * @param cpus processors available to this JVM ({@code nproc})
 * @param memoryBytes total RAM from {@code /proc/meminfo}; 0 when unknown
 * @param loadAtStart the one-minute load average when the run started; negative when unknown
 */
record Machine(int cpus, long memoryBytes, String jdk, String os, double loadAtStart) {

  /** Above this one-minute load average a figure is marked as taken under load. */
  static final double QUIET_LOAD = 1.5;

  static Machine current() {
    long memory;
    try {
      memory = memTotalBytes(Files.readString(Path.of("/proc/meminfo"))).orElse(0);
    } catch (IOException e) {
      memory = 0;
    }
    return new Machine(Runtime.getRuntime().availableProcessors(), memory,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.version"), loadAverage());
  }

  /** The one-minute load average now; negative when the platform does not say. */
  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** {@code MemTotal} of a {@code /proc/meminfo} text, in bytes. */
  static OptionalLong memTotalBytes(String meminfo) {
    return ProcStatus.kilobytes(meminfo, "MemTotal").stream().map(kb -> kb * 1024).findFirst();
  }

  boolean underLoad() {
    return loadAtStart > QUIET_LOAD;
  }

  String describe() {
    return String.format(Locale.ROOT, "%d CPUs, %.1f GiB RAM, %s, %s; load average %s at start", cpus,
        memoryBytes / (1024.0 * 1024 * 1024), jdk, os, loadAtStart < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", loadAtStart));
  }
}
