package io.llmbroker.testsupport;

import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.awaitility.Awaitility;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker for tests, started once per test JVM and stopped when it exits.
 *
 * <p>With a Docker engine present it is a Testcontainers {@code apache/kafka} container;
 * without one (or with {@code -Dllmbroker.test.kafka=embedded}) an in-process single-node
 * KRaft cluster from {@code kafka-test-common-runtime}. Either way tests see a plain bootstrap
 * address. {@link #cluster(int)} starts a separate in-process cluster of several brokers for tests
 * that stop one, and {@link #secured()} one that authenticates with SASL/SCRAM and authorizes
 * with ACLs. Thread-safe.
 */
public final class KafkaFixture {

  /** The image used when a Docker engine is present. */
  public static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

  private static KafkaFixture instance;

  /** The super user of a {@link #secured()} cluster, which may do anything ACLs or not. */
  public static final String ADMIN_USER = "admin";
  /** The SASL mechanism clients of a {@link #secured()} cluster use. */
  public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
  private static final String ADMIN_PASSWORD = "admin-secret";

  private final String bootstrapServers;
  private final AutoCloseable cluster;
  private final KafkaClusterTestKit kit;
  private final boolean secured;

  private KafkaFixture(String bootstrapServers, AutoCloseable cluster, KafkaClusterTestKit kit, boolean secured) {
    this.bootstrapServers = bootstrapServers;
    this.cluster = cluster;
    this.kit = kit;
    this.secured = secured;
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
        "min.insync.replicas", minIsr), false);
  }

  /**
   * A new single-node in-process KRaft cluster whose listeners require SASL (SCRAM-SHA-512 for
   * clients) and whose {@code StandardAuthorizer} refuses whatever no ACL allows
   * ({@code allow.everyone.if.no.acl.found=false}). {@link #clientProperties()} and
   * {@link #admin()} authenticate as the super user {@value #ADMIN_USER}; create other users with
   * {@link #createUser} and reach the cluster as them with {@link #clientProperties(String, String)}.
   * The caller closes it with {@link #close()}.
   */
  public static KafkaFixture secured() {
    // The brokers and the controller talk PLAIN as the super user, whose password only the JAAS
    // configs below know; clients use SCRAM, whose credentials live in the cluster's metadata.
    String plain = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN_USER
        + "\" password=\"" + ADMIN_PASSWORD + "\" user_" + ADMIN_USER + "=\"" + ADMIN_PASSWORD + "\";";
    Map<String, String> security = new HashMap<>(Map.ofEntries(
        Map.entry("listener.security.protocol.map", "EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"),
        Map.entry("listener.name.external.sasl.enabled.mechanisms", "PLAIN," + SCRAM_MECHANISM),
        Map.entry("listener.name.controller.sasl.enabled.mechanisms", "PLAIN"),
        Map.entry("sasl.mechanism.inter.broker.protocol", "PLAIN"),
        Map.entry("sasl.mechanism.controller.protocol", "PLAIN"),
        Map.entry("listener.name.external.plain.sasl.jaas.config", plain),
        Map.entry("listener.name.controller.plain.sasl.jaas.config", plain),
        Map.entry("listener.name.external.scram-sha-512.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"),
        Map.entry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
        Map.entry("super.users", "User:" + ADMIN_USER),
        Map.entry("allow.everyone.if.no.acl.found", "false")));
    security.putAll(SINGLE_NODE);
    return startEmbedded(1, true, security, true);
  }

  /**
   * Creates (or replaces) the SCRAM credential of {@code user} on a {@link #secured()} cluster
   * and waits until the broker accepts it.
   */
  public void createUser(String user, String password) {
    if (!secured) {
      throw new IllegalStateException("users exist only on a secured() cluster");
    }
    try (Admin admin = admin()) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get();
      // The credential reaches the broker through the metadata log: wait until it describes it.
      Awaitility.await("the broker learns the credential of " + user).atMost(Duration.ofSeconds(30))
          .until(() -> !admin.describeUserScramCredentials(List.of(user)).all().get().isEmpty());
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create user " + user + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating user " + user, e);
    }
  }

  /** Client properties that reach a {@link #secured()} cluster as {@code user}; add your own on top. */
  public Properties clientProperties(String user, String password) {
    if (!secured) {
      throw new IllegalStateException("users exist only on a secured() cluster");
    }
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    props.put(SaslConfigs.SASL_MECHANISM, SCRAM_MECHANISM);
    props.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user + "\" password=\"" + password + "\";");
    return props;
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

  /** Client properties that reach this broker (as the super user of a secured one); add your own on top. */
  public Properties clientProperties() {
    if (secured) {
      Properties props = clientProperties(ADMIN_USER, ADMIN_PASSWORD);
      props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
      props.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
          + ADMIN_USER + "\" password=\"" + ADMIN_PASSWORD + "\";");
      return props;
    }
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  public Admin admin() {
    return Admin.create(clientProperties());
  }

  /** Creates the topics of the catalogue that do not exist yet. */
  public void createTopics(List<Topic<?>> topics) {
    try (Admin admin = admin()) {
      Topics.createMissing(admin, topics, (short) 1);
      // The controller has the topics; wait until the brokers list them too, as a client would see them.
      List<String> names = topics.stream().map(Topic::name).toList();
      Awaitility.await("topics listed: " + names).atMost(Duration.ofSeconds(30))
          .until(() -> admin.listTopics().names().get().containsAll(names));
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
    return new KafkaFixture(container.getBootstrapServers(), container::stop, null, false);
  }

  private static final Map<String, String> SINGLE_NODE = Map.of(
      "offsets.topic.replication.factor", "1",
      "transaction.state.log.replication.factor", "1",
      "transaction.state.log.min.isr", "1",
      "share.coordinator.state.topic.replication.factor", "1",
      "share.coordinator.state.topic.min.isr", "1");

  private static KafkaFixture startEmbedded() {
    return startEmbedded(1, true, SINGLE_NODE, false);
  }

  private static KafkaFixture startEmbedded(int brokers, boolean combined, Map<String, String> replication,
      boolean secured) {
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
      return new KafkaFixture(cluster.bootstrapServers(), cluster, cluster, secured);
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
