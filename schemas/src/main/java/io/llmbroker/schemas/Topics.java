package io.llmbroker.schemas;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetAlert;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.GatewayBatch;
import io.llmbroker.avro.GatewayFile;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.UsageEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topic catalogue: every topic llm-broker reads or writes, with its value type and
 * creation settings. All names share one prefix so that several environments can share a
 * cluster ({@code "staging."} gives {@code staging.llm.usage}).
 *
 * <p>Immutable and thread-safe.
 */
public final class Topics {

  /** A {@code reply_to} service name: what may follow {@code llm.responses.}. */
  public static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,100}");

  private static final String RETENTION_7_DAYS = String.valueOf(Duration.ofDays(7).toMillis());
  /** The largest file the gateway stores. */
  public static final int GATEWAY_FILE_MAX_BYTES = 64 * 1024 * 1024;

  private static final String RETENTION_30_DAYS = String.valueOf(Duration.ofDays(30).toMillis());

  private final String prefix;
  private final Optional<Integer> partitions;

  /**
   * @param prefix prepended to every name; empty for none
   * @param partitions partitions of every topic created; empty for the cluster default
   */
  public Topics(String prefix, Optional<Integer> partitions) {
    if (!prefix.isEmpty() && !SERVICE_NAME.matcher(prefix).matches()) {
      throw new IllegalArgumentException("topic prefix must match " + SERVICE_NAME + ": '" + prefix + "'");
    }
    partitions.filter(n -> n < 1).ifPresent(n -> {
      throw new IllegalArgumentException("topic partitions must be >= 1: " + n);
    });
    this.prefix = prefix;
    this.partitions = partitions;
  }

  /** The default catalogue: no prefix, cluster-default partitions. */
  public static Topics defaults() {
    return new Topics("", Optional.empty());
  }

  public String prefix() {
    return prefix;
  }

  public Topic<LlmRequest> requests(Priority priority) {
    return topic("llm.requests." + priority.name().toLowerCase(Locale.ROOT), LlmRequest.class,
        Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_7_DAYS));
  }

  /** The request topics in priority order, interactive first. */
  public List<Topic<LlmRequest>> requestTopics() {
    return Arrays.stream(Priority.values()).map(this::requests).toList();
  }

  /** The priority class a request topic carries, or empty when {@code topic} is not one. */
  public Optional<Priority> priorityOf(String topic) {
    return Arrays.stream(Priority.values()).filter(p -> requests(p).name().equals(topic)).findFirst();
  }

  /**
   * The reply topic of a service.
   *
   * @throws IllegalArgumentException when {@code service} is not a valid service name
   */
  public Topic<LlmResponse> responses(String service) {
    if (service == null || !SERVICE_NAME.matcher(service).matches()) {
      throw new IllegalArgumentException("reply_to must match " + SERVICE_NAME + ": '" + service + "'");
    }
    return topic("llm.responses." + service, LlmResponse.class,
        Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_7_DAYS));
  }

  public Topic<UsageEvent> usage() {
    return topic("llm.usage", UsageEvent.class, Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_30_DAYS));
  }

  public Topic<AuditRecord> audit() {
    return topic("llm.audit", AuditRecord.class, Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_30_DAYS));
  }

  /** Records that could not be read, as their original bytes; headers say where from and why. */
  public Topic<byte[]> dlq() {
    return topic("llm.dlq", byte[].class, Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_30_DAYS));
  }

  public Topic<CostRollup> costRollups() {
    return topic("llm.cost.rollups", CostRollup.class,
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** The apps registry: one record per app, keyed by app id. */
  public Topic<App> apps() {
    return topic("llm.apps", App.class, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** What every reply topic's name starts with: {@code <prefix>llm.responses.}, then the service. */
  public String responsesPrefix() {
    return prefix + "llm.responses.";
  }

  /** Spending limits: one record per budget, keyed by budget id; a tombstone deletes one. */
  public Topic<Budget> budgets() {
    return topic("llm.budgets", Budget.class, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** Period-to-date spend per budget, keyed by budget id, published by the cost aggregator. */
  public Topic<BudgetState> budgetState() {
    return topic("llm.budget-state", BudgetState.class,
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** Alert threshold crossings, keyed by budget id. */
  public Topic<BudgetAlert> budgetAlerts() {
    return topic("llm.budget-alerts", BudgetAlert.class, Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_30_DAYS));
  }

  /** The gateway's uploaded files, keyed by file id; their bytes are in {@link #gatewayFileContents()}. */
  public Topic<GatewayFile> gatewayFiles() {
    return topic("llm.gateway.files", GatewayFile.class,
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** The bytes of uploaded files, one record each (up to 64 MiB), kept 30 days. */
  public Topic<byte[]> gatewayFileContents() {
    return topic("llm.gateway.file-contents", byte[].class, Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_30_DAYS,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(GATEWAY_FILE_MAX_BYTES + 1024 * 1024)));
  }

  /** The gateway's batches, keyed by batch id: any gateway instance answers for any batch. */
  public Topic<GatewayBatch> gatewayBatches() {
    return topic("llm.gateway.batches", GatewayBatch.class,
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** Every topic that exists independently of the services using it (reply topics excluded). */
  public List<Topic<?>> all() {
    List<Topic<?>> all = new ArrayList<>(requestTopics());
    all.addAll(List.of(usage(), audit(), dlq(), costRollups(), apps(), budgets(), budgetState(), budgetAlerts()));
    return all;
  }

  /**
   * Creates the given topics where missing; existing topics are left as they are.
   *
   * @throws IllegalStateException when the cluster refuses a creation for another reason
   */
  public static void createMissing(Admin admin, List<Topic<?>> topics, short replicationFactor) {
    List<NewTopic> wanted = topics.stream().map(t -> t.newTopic(replicationFactor)).toList();
    try {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (missing.isEmpty()) {
        return;
      }
      for (var result : admin.createTopics(missing).values().entrySet()) {
        try {
          result.getValue().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + result.getKey() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  private <T> Topic<T> topic(String name, Class<T> type, Map<String, String> configs) {
    return new Topic<>(prefix + name, type, partitions, configs);
  }
}
