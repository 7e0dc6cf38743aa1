package io.llmbroker.bench;

import io.llmbroker.runtime.local.LocalKafka;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.common.TopicPartition;

/**
 * The broker a benchmark runs on, and the topics it made there. Either a broker given by
 * address, or the local one ({@link LocalKafka}, started when not already running). Every run
 * gets its own topic prefix; {@link #close()} deletes the topics and consumer groups of every
 * prefix it handed out, then stops the broker if this instance started it.
 *
 * <p>Not thread-safe; one instance per command.
 */
final class BenchKafka implements AutoCloseable {

  static final short REPLICATION = 1;
  private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final String bootstrapServers;
  private final Optional<LocalKafka> local;
  private final Admin admin;
  private final String benchName;
  private final List<String> prefixes = new ArrayList<>();

  private BenchKafka(String bootstrapServers, Optional<LocalKafka> local, String benchName) {
    this.bootstrapServers = bootstrapServers;
    this.local = local;
    this.benchName = benchName;
    this.admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  /**
   * Connects to {@code --bootstrap-servers} when given, else starts or reuses the local broker.
   *
   * @throws IllegalStateException when the local broker cannot be started
   */
  static BenchKafka open(BenchOptions options, String benchName) {
    if (options.bootstrapServers != null && !options.bootstrapServers.isBlank()) {
      return new BenchKafka(options.bootstrapServers, Optional.empty(), benchName);
    }
    LocalKafka kafka = LocalKafka.startOrReuse(options.dataDir, options.kafkaPort, options.controllerPort);
    try {
      return new BenchKafka(kafka.bootstrapServers(), Optional.of(kafka), benchName);
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  /** Where the broker came from, for the result block. */
  String describeBroker() {
    return local.map(k -> "local broker (child JVM" + (k.owned() ? ", started for this run" : ", reused") + ")")
        .orElse("broker at " + bootstrapServers);
  }

  Admin admin() {
    return admin;
  }

  /** A fresh prefix for one run, e.g. {@code bench-latency-20261123-231500-1.}; deleted on close. */
  String newPrefix() {
    String prefix = "bench-" + benchName + "-" + LocalDateTime.now().format(RUN_ID) + "-" + (prefixes.size() + 1) + ".";
    prefixes.add(prefix);
    return prefix;
  }

  /** Creates the request topics and the reply topics of {@code services} under a catalogue. */
  void createTopics(Topics topics, String... services) {
    List<Topic<?>> wanted = new ArrayList<>(topics.requestTopics());
    for (String service : services) {
      wanted.add(topics.responses(service));
    }
    Topics.createMissing(admin, wanted, REPLICATION);
    awaitLeaders(wanted.stream().map(Topic::name).toList());
  }

  /** A freshly created topic answers produce requests once each partition has a leader; until then the producer retries noisily. */
  private void awaitLeaders(List<String> names) {
    try {
      Await.until(() -> {
        try {
          return admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
              .flatMap(d -> d.partitions().stream()).allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        } catch (ExecutionException | TimeoutException e) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }, Duration.ofSeconds(30), "leaders elected for " + names);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The end offset of every partition of {@code topic}: the records written to it, as this
   * benchmark's topics are neither compacted nor transactional nor trimmed during a run.
   *
   * @throws IllegalStateException when the broker does not answer
   */
  Map<TopicPartition, Long> endOffsets(String topic) {
    try {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
          .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the end offsets of " + topic + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the end offsets of " + topic, e);
    }
  }

  /** Deletes every topic and consumer group named with this run's prefixes; reports but survives failures. */
  void deleteRunTopics() {
    if (prefixes.isEmpty()) {
      return;
    }
    try {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<String> ours = names.stream().filter(n -> prefixes.stream().anyMatch(n::startsWith)).toList();
      if (!ours.isEmpty()) {
        admin.deleteTopics(ours).all().get(60, TimeUnit.SECONDS);
      }
      List<String> groups = admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
          .filter(g -> prefixes.stream().anyMatch(g::startsWith)).toList();
      groups.forEach(this::removeMembers);
      if (!groups.isEmpty()) {
        admin.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
      }
      prefixes.clear();
    } catch (ExecutionException | TimeoutException e) {
      System.err.println("llm-broker bench: could not delete the run's topics " + prefixes + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Removes every member of a run's group, so that it can be deleted: a worker a benchmark killed
   * stays a member until its session expires, and every other worker of the run has stopped by now.
   * A failure (the group is empty already, or its protocol does not allow it) leaves the deletion to report.
   */
  private void removeMembers(String group) {
    try {
      admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions()).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Nothing to remove, or the deletion says why not.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    deleteRunTopics();
    admin.close();
    local.ifPresent(LocalKafka::close);
  }
}
