package io.llmbroker.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker in its own JVM ({@code io.llmbroker.worker.WorkerMain --config FILE}, this JVM's
 * java and classpath), so that its memory can be read from {@code /proc} apart from the
 * benchmark's, and so that it can be killed as a crash would kill it. Its output goes to a log
 * file; {@link #close()} sends SIGTERM (a graceful drain) and kills it if it has not exited 30 s
 * later; {@link #kill()} sends SIGKILL. Not thread-safe.
 */
final class ChildWorker implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern MAX_HEAP = Pattern.compile("\\bMaxHeapSize\\s*=\\s*(\\d+)");

  private final Process process;
  private final Path log;
  private final OpsEndpoint ops;
  /** Stops the child when this JVM is stopped (Ctrl-C) before {@link #close()}: no worker left behind. */
  private final Thread orphanGuard;

  private ChildWorker(Process process, int opsPort, Path log) {
    this.process = process;
    this.ops = new OpsEndpoint(opsPort);
    this.log = log;
    this.orphanGuard = new Thread(process::destroy, "stop-child-worker-" + process.pid());
    Runtime.getRuntime().addShutdownHook(orphanGuard);
  }

  /**
   * Writes the config under {@code dir}, starts the worker and waits until it reports ready.
   *
   * @param maxHeap an {@code -Xmx} value such as {@code 256m}; empty for the JVM's default
   * @param env variables added to the worker's environment (this JVM's are inherited)
   * @throws IllegalStateException when the worker exits or is not ready in 90 s (the message names its log)
   */
  static ChildWorker start(BenchWorkers config, Optional<String> maxHeap, Path dir, Map<String, String> env)
      throws IOException, InterruptedException {
    return startAll(List.of(config), maxHeap, dir, env).get(0);
  }

  /**
   * Starts one worker per config at once (their JVMs boot side by side), then waits until every
   * one reports ready; on failure stops those already started.
   *
   * @throws IllegalStateException when a worker exits or is not ready in 90 s (the message names its log)
   */
  static List<ChildWorker> startAll(List<BenchWorkers> configs, Optional<String> maxHeap, Path dir, Map<String, String> env)
      throws IOException, InterruptedException {
    List<ChildWorker> started = new ArrayList<>();
    try {
      for (BenchWorkers config : configs) {
        started.add(launch(config, maxHeap, dir, env));
      }
      for (ChildWorker worker : started) {
        worker.awaitReady();
      }
      return started;
    } catch (IOException | RuntimeException | InterruptedException e) {
      started.forEach(ChildWorker::close);
      throw e;
    }
  }

  private static ChildWorker launch(BenchWorkers config, Optional<String> maxHeap, Path dir, Map<String, String> env)
      throws IOException {
    int port = freePort();
    Path configFile = dir.resolve(config.workerId() + ".yaml");
    Files.writeString(configFile, config.withOpsPort(port).yaml());
    Path log = dir.resolve(config.workerId() + ".log");
    List<String> command = new ArrayList<>(List.of(javaBinary(),
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.llmbroker.avro",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
    maxHeap.ifPresent(h -> command.add("-Xmx" + h));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.llmbroker.worker.WorkerMain",
        "--config", configFile.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    return new ChildWorker(builder.start(), port, log);
  }

  private void awaitReady() throws InterruptedException {
    Await.until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("the worker exited with code " + process.exitValue() + "; see " + log);
      }
      return ops.ready();
    }, READY_TIMEOUT, "the child worker becoming ready (see " + log + ")");
  }

  /** The largest heap the JVM picks on this machine when given no {@code -Xmx}, in bytes; 0 when unknown. */
  static long defaultMaxHeapBytes() {
    try {
      Process p = new ProcessBuilder(javaBinary(), "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
      String flags = new String(p.getInputStream().readAllBytes());
      p.waitFor(30, TimeUnit.SECONDS);
      Matcher m = MAX_HEAP.matcher(flags);
      return m.find() ? Long.parseLong(m.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  Optional<ProcStatus.Memory> memory() {
    return ProcStatus.read(process.pid());
  }

  /** The worker's ops server. */
  OpsEndpoint ops() {
    return ops;
  }

  /**
   * Kills the worker with SIGKILL, as a crash would: no drain, no commit, no leaving the group.
   * Returns once the process is gone.
   */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(orphanGuard);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to: it stops the child too.
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for the worker's ops server", e);
    }
  }
}
