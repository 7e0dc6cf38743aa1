package io.llmbroker.testsupport;

import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker for tests, started once per test JVM and stopped when it exits.
 *
 * <p>With a Docker engine present it is a Testcontainers {@code apache/kafka} container;
 * without one (or with {@code -Dllmbroker.test.kafka=embedded}) an in-process single-node
 * KRaft cluster from {@code kafka-test-common-runtime}. Either way tests see a plain bootstrap
 * address. {@link #cluster(int)} starts a separate in-process cluster of several brokers for tests
 * that stop one. Thread-safe.
 */
public final class KafkaFixture {

  /** The image used when a Docker engine is present. */
  public static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

  private static KafkaFixture instance;

  private final String bootstrapServers;
  private final AutoCloseable cluster;
  private final KafkaClusterTestKit kit;

  private KafkaFixture(String bootstrapServers, AutoCloseable cluster, KafkaClusterTestKit kit) {
    this.bootstrapServers = bootstrapServers;
    this.cluster = cluster;
    this.kit = kit;
  }

  /** The broker of this JVM, started on first use. */
  public static synchronized KafkaFixture get() {
    if (instance == null) {
      instance = useTestcontainers() ? startContainer() : startEmbedded();
      KafkaFixture started = instance;
      Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "kafka-fixture-stop"));
    }
    return instance;
  }

  /**
   * A new in-process KRaft cluster of {@code brokers} brokers (ids 0 to brokers - 1) and one
   * separate controller, with internal topics and new topics replicated to every broker
   * ({@code min.insync.replicas} one less), for tests that stop a broker under load. The caller
   * closes it with {@link #close()}.
   */
  public static KafkaFixture cluster(int brokers) {
    if (brokers < 2) {
      throw new IllegalArgumentException("a cluster needs >= 2 brokers; use get() for one: " + brokers);
    }
    String replicas = String.valueOf(brokers);
    String minIsr = String.valueOf(brokers - 1);
    return startEmbedded(brokers, false, Map.of(
        "offsets.topic.replication.factor", replicas,
        "transaction.state.log.replication.factor", replicas,
        "transaction.state.log.min.isr", minIsr,
        "share.coordinator.state.topic.replication.factor", replicas,
        "share.coordinator.state.topic.min.isr", minIsr,
        "default.replication.factor", replicas,
        "min.insync.replicas", minIsr));
  }

  /**
   * Stops broker {@code id} of a {@link #cluster(int)} as a clean shutdown does (its partitions'
   * leadership moves to the others), and waits until it is down.
   */
  public void stopBroker(int id) {
    if (kit == null || !kit.brokers().containsKey(id)) {
      throw new IllegalArgumentException("no in-process broker " + id + " in this fixture");
    }
    kit.brokers().get(id).shutdown();
    kit.brokers().get(id).awaitShutdown();
  }

  /** Stops a {@link #cluster(int)}; the shared broker of {@link #get()} stops when the JVM exits. */
  public void close() {
    if (this == instance) {
      throw new IllegalStateException("the shared broker stops when the JVM exits");
    }
    stop();
  }

  /** True when a Docker engine answers; Testcontainers' own probe. */
  public static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Client properties that reach this broker; add your own on top. */
  public Properties clientProperties() {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  public Admin admin() {
    return Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  /** Creates the topics of the catalogue that do not exist yet. */
  public void createTopics(List<Topic<?>> topics) {
    try (Admin admin = admin()) {
      Topics.createMissing(admin, topics, (short) 1);
    }
  }

  /** A catalogue with a prefix unique to the caller, so tests sharing the broker never meet. */
  public static Topics isolatedTopics(int partitions) {
    return new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".", Optional.of(partitions));
  }

  private static boolean useTestcontainers() {
    String choice = System.getProperty("llmbroker.test.kafka", "auto");
    return switch (choice) {
      case "embedded" -> false;
      case "testcontainers" -> true;
      case "auto" -> dockerAvailable();
      default -> throw new IllegalArgumentException(
          "llmbroker.test.kafka must be auto, embedded or testcontainers: '" + choice + "'");
    };
  }

  private static KafkaFixture startContainer() {
    KafkaContainer container = new KafkaContainer(KAFKA_IMAGE);
    container.start();
    return new KafkaFixture(container.getBootstrapServers(), container::stop, null);
  }

  private static KafkaFixture startEmbedded() {
    return startEmbedded(1, true, Map.of(
        "offsets.topic.replication.factor", "1",
        "transaction.state.log.replication.factor", "1",
        "transaction.state.log.min.isr", "1",
        "share.coordinator.state.topic.replication.factor", "1",
        "share.coordinator.state.topic.min.isr", "1"));
  }

  private static KafkaFixture startEmbedded(int brokers, boolean combined, Map<String, String> replication) {
    try {
      Path dir = Files.createTempDirectory("llm-broker-kafka");
      KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
              .setCombined(combined)
              .setNumBrokerNodes(brokers)
              .setNumControllerNodes(1)
              .setBaseDirectory(dir)
              .build())
          .setConfigProp("offsets.topic.num.partitions", "5")
          .setConfigProp("transaction.state.log.num.partitions", "5")
          .setConfigProp("group.initial.rebalance.delay.ms", "0")
          .setConfigProp("num.partitions", "3")
          .setDeleteOnClose(true);
      replication.forEach(builder::setConfigProp);
      KafkaClusterTestKit cluster = builder.build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new KafkaFixture(cluster.bootstrapServers(), cluster, cluster);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded Kafka cluster: " + e.getMessage(), e);
    }
  }

  private synchronized void stop() {
    try {
      cluster.close();
    } catch (Exception e) {
      System.err.println("kafka fixture: stop failed: " + e);
    }
  }
}
