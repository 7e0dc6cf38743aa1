package io.llmbroker.runtime.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) run as a child JVM
 * from the Kafka jars on this command's classpath. Storage is formatted once with a fixed
 * cluster id under {@code <dataDir>/kafka}; a broker already answering on the port with that
 * cluster id is reused instead of started, and is then left running on {@link #close()}.
 *
 * <p>Not thread-safe; one instance per command.
 */
public final class LocalKafka implements AutoCloseable {

  /** Fixed so that a broker started by an earlier run is recognised and its data reused. */
  public static final String CLUSTER_ID = "bGxtLWJyb2tlci1sb2NhbA";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private final String bootstrapServers;
  private final Optional<Process> process;
  private final Path logFile;

  private LocalKafka(String bootstrapServers, Optional<Process> process, Path logFile) {
    this.bootstrapServers = bootstrapServers;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Reuses the broker on {@code port} when it is ours, otherwise formats storage (first run
   * only) and starts one, waiting until it answers.
   *
   * @throws IllegalStateException when the port is taken by another cluster, or the broker
   *     does not come up (the message points at its log)
   */
  public static LocalKafka startOrReuse(Path dataDir, int port, int controllerPort) {
    String bootstrap = "localhost:" + port;
    Path kafkaDir = dataDir.resolve("kafka");
    Path logFile = kafkaDir.resolve("broker.log");
    if (listening(port)) {
      String clusterId = clusterId(bootstrap, Duration.ofSeconds(10))
          .orElseThrow(() -> new IllegalStateException("port " + port + " is taken by something that is not a Kafka broker"));
      if (!clusterId.equals(CLUSTER_ID)) {
        throw new IllegalStateException("port " + port + " is taken by another Kafka cluster (id " + clusterId
            + "); stop it or choose another port with --kafka-port");
      }
      return new LocalKafka(bootstrap, Optional.empty(), logFile);
    }
    try {
      Files.createDirectories(kafkaDir);
      Path config = writeConfig(kafkaDir, port, controllerPort);
      run(List.of("kafka.tools.StorageTool", "format", "--ignore-formatted", "-t", CLUSTER_ID, "-c", config.toString()),
          logFile, Duration.ofSeconds(60));
      Process broker = java(List.of("kafka.Kafka", config.toString()), logFile, true);
      LocalKafka kafka = new LocalKafka(bootstrap, Optional.of(broker), logFile);
      kafka.awaitReady(broker);
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the local broker under " + kafkaDir + ": " + e.getMessage(), e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** True when this instance started the broker (and so stops it on close). */
  public boolean owned() {
    return process.isPresent();
  }

  public Path logFile() {
    return logFile;
  }

  /** The broker's process id when this instance started it. */
  Optional<Long> pid() {
    return process.map(Process::pid);
  }

  /** Stops the broker if this instance started it: SIGTERM, then a clean shutdown is awaited. */
  @Override
  public void close() {
    process.ifPresent(p -> {
      p.destroy();
      try {
        if (!p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    });
  }

  private void awaitReady(Process broker) {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!broker.isAlive()) {
        throw new IllegalStateException("the local Kafka broker exited with code " + broker.exitValue()
            + "; see " + logFile);
      }
      if (listening(Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1)))
          && clusterId(bootstrapServers, Duration.ofSeconds(5)).isPresent()) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted while starting the local Kafka broker", e);
      }
    }
    close();
    throw new IllegalStateException("the local Kafka broker did not start within " + START_TIMEOUT.toSeconds()
        + "s; see " + logFile);
  }

  private static Path writeConfig(Path kafkaDir, int port, int controllerPort) throws IOException {
    Map<String, String> props = new java.util.LinkedHashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    props.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", kafkaDir.resolve("data").toAbsolutePath().toString());
    props.put("num.partitions", "6");
    props.put("offsets.topic.replication.factor", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    StringBuilder text = new StringBuilder("# Written by llm-broker local; regenerated on every start.\n");
    props.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Path file = kafkaDir.resolve("server.properties");
    Files.writeString(file, text);
    return file;
  }

  private static void run(List<String> mainAndArgs, Path logFile, Duration timeout) throws IOException {
    Process p = java(mainAndArgs, logFile, false);
    try {
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(mainAndArgs.get(0) + " did not finish within " + timeout.toSeconds() + "s; see " + logFile);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(mainAndArgs.get(0) + " failed with code " + p.exitValue() + "; see " + logFile);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + mainAndArgs.get(0), e);
    }
  }

  /**
   * A child JVM with this JVM's java binary and classpath; output appended to {@code logFile}.
   * With {@code ownSession} it runs in a session of its own (where {@code setsid} exists), so that
   * a Ctrl-C in the terminal reaches only this command, whose shutdown stops the services while
   * the broker still answers, and then the broker.
   */
  private static Process java(List<String> mainAndArgs, Path logFile, boolean ownSession) throws IOException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    if (ownSession && Files.isExecutable(SETSID)) {
      command.add(SETSID.toString());
    }
    command.addAll(List.of(javaBin, "-Xms256m", "-Xmx1g",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path")));
    command.addAll(mainAndArgs);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("localhost", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<String> clusterId(String bootstrap, Duration timeout) {
    try (Admin admin = Admin.create(Map.of(
        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
      return Optional.of(admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
