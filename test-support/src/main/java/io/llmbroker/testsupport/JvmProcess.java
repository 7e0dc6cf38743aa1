package io.llmbroker.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A service's {@code main} run in a child JVM on the test classpath, so that a test can stop it
 * the way an operator or a crash does: {@link #terminate()} sends SIGTERM (the shutdown hooks
 * run), {@link #kill()} sends SIGKILL (nothing runs). Its output goes to {@link #log()}.
 * Not thread-safe; {@link #close()} kills what is still running.
 */
public final class JvmProcess implements AutoCloseable {

  private final Process process;
  private final Path log;

  private JvmProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code mainClass} with {@code args}; its stdout and stderr go to {@code log}. */
  public static JvmProcess start(Class<?> mainClass, Path log, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.llmbroker.avro",
        mainClass.getName()));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return new JvmProcess(process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + mainClass.getName(), e);
    }
  }

  /** SIGTERM, then waits for the JVM to exit; returns its exit code. */
  public int terminate() throws InterruptedException {
    process.destroy();
    return awaitExit();
  }

  /** SIGKILL, then waits for the JVM to be gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    awaitExit();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What the child wrote so far. */
  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path log() {
    return log;
  }

  private int awaitExit() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException("the child JVM did not exit within 60 s of being stopped; see " + log);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
