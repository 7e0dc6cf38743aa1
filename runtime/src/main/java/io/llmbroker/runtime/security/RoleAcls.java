package io.llmbroker.runtime.security;

import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The Kafka ACLs each llm-broker role needs, and nothing more: the one definition that
 * {@code llm-broker acls} prints and applies, and that the secure deployment test grants.
 *
 * <ul>
 *   <li><b>service</b>: writes the request topics; reads (and may create) only its own
 *       {@code llm.responses.<service>}, and its own consumer group if it uses one;
 *   <li><b>worker</b>: reads the request topics in its group, the apps registry and the budget
 *       topics; writes replies (creating reply topics), usage, audit and the DLQ;
 *   <li><b>cost-aggregator</b> and <b>audit-archiver</b>: Kafka Streams jobs with exactly-once:
 *       their input and output topics, the DLQ, and everything named after their application id
 *       (internal topics, the group, transactional ids);
 *   <li><b>gateway</b>: a service that also reads the apps registry (virtual keys map to apps).
 * </ul>
 *
 * A {@code service} name ending in {@code *} grants a name prefix instead of one name: a batch
 * submitter given {@code batch-team1-*} reads the reply topics of the batches it names so.
 *
 * <p>Immutable and thread-safe.
 */
public final class RoleAcls {

  /** The roles, by the name {@code llm-broker acls --role} takes. */
  public enum Role {
    SERVICE, WORKER, COST_AGGREGATOR, AUDIT_ARCHIVER, GATEWAY;

    /** {@code cost-aggregator} for {@link #COST_AGGREGATOR}. */
    public String cliName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** @throws IllegalArgumentException naming the value and the roles when {@code name} is none */
    public static Role of(String name) {
      for (Role role : values()) {
        if (role.cliName().equals(name)) {
          return role;
        }
      }
      throw new IllegalArgumentException("role must be one of service, worker, cost-aggregator, audit-archiver, "
          + "gateway: '" + name + "'");
    }

    /** True for the roles that answer on a reply topic of their own and so need a service name. */
    public boolean needsService() {
      return this == SERVICE || this == GATEWAY;
    }
  }

  private final Topics topics;

  public RoleAcls(Topics topics) {
    this.topics = topics;
  }

  /** The worker's consumer group unless its {@code kafka:} section sets {@code group.id}. */
  public String workerGroup() {
    return topics.prefix() + "llm-broker-worker";
  }

  /** The Streams application id of a job unless its {@code streams:} section sets one. */
  public String defaultApplicationId(Role job) {
    if (job != Role.COST_AGGREGATOR && job != Role.AUDIT_ARCHIVER) {
      throw new IllegalArgumentException("only the Streams jobs have an application id: " + job.cliName());
    }
    return topics.prefix() + "llm-broker-" + job.cliName();
  }

  /**
   * The ACLs of {@code role} for {@code principal} ({@code User:name}).
   *
   * @param service the reply service of a service or gateway; ignored for the other roles
   * @param applicationId a Streams job's application id; empty for the default
   * @throws IllegalArgumentException when the principal has no type, or a service or gateway
   *     has no valid service name
   */
  public List<AclBinding> forRole(Role role, String principal, Optional<String> service,
      Optional<String> applicationId) {
    if (principal == null || !principal.matches("[A-Za-z]+:.+")) {
      throw new IllegalArgumentException("principal must be TYPE:NAME, such as User:checkout: '" + principal + "'");
    }
    if (role.needsService() && service.isEmpty()) {
      throw new IllegalArgumentException("role " + role.cliName() + " needs a service name");
    }
    return switch (role) {
      case SERVICE -> service(principal, service.get());
      case GATEWAY -> gateway(principal, service.get());
      case WORKER -> worker(principal);
      case COST_AGGREGATOR -> costAggregator(principal, applicationId.orElse(defaultApplicationId(role)));
      case AUDIT_ARCHIVER -> auditArchiver(principal, applicationId.orElse(defaultApplicationId(role)));
    };
  }

  /** A service sending requests and reading its replies on {@code llm.responses.<service>}. */
  public List<AclBinding> service(String principal, String service) {
    Grants grants = new Grants(principal);
    topics.requestTopics().forEach(t -> grants.topic(t, AclOperation.WRITE, AclOperation.DESCRIBE));
    boolean prefixed = service.endsWith("*");
    String name = prefixed ? service.substring(0, service.length() - 1) : service;
    if (!Topics.SERVICE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("service must match " + Topics.SERVICE_NAME + ", optionally followed by *: '"
          + service + "'");
    }
    PatternType pattern = prefixed ? PatternType.PREFIXED : PatternType.LITERAL;
    // Create: the client makes its reply topic before the first request, so no worker has to.
    grants.add(ResourceType.TOPIC, topics.responsesPrefix() + name, pattern,
        AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    grants.add(ResourceType.GROUP, topics.prefix() + name, pattern, AclOperation.READ);
    return grants.list();
  }

  /**
   * A service that also reads the apps registry, which maps its keys to apps, and keeps the Batch
   * API's files and batches on its own topics.
   */
  public List<AclBinding> gateway(String principal, String service) {
    List<AclBinding> all = new ArrayList<>(service(principal, service));
    Grants grants = new Grants(principal);
    grants.topic(topics.apps(), AclOperation.READ, AclOperation.DESCRIBE);
    for (Topic<?> own : List.of(topics.gatewayFiles(), topics.gatewayFileContents(), topics.gatewayBatches())) {
      grants.topic(own, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    }
    all.addAll(grants.list());
    return all;
  }

  /** A worker of the pool: the consumer group {@link #workerGroup()}. */
  public List<AclBinding> worker(String principal) {
    Grants grants = new Grants(principal);
    // Create on its fixed topics: the first worker started on an empty cluster makes them.
    topics.requestTopics().forEach(t -> grants.topic(t, AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE));
    grants.add(ResourceType.GROUP, workerGroup(), PatternType.LITERAL, AclOperation.READ);
    for (Topic<?> output : List.of(topics.usage(), topics.audit(), topics.dlq())) {
      grants.topic(output, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    }
    grants.add(ResourceType.TOPIC, topics.responsesPrefix(), PatternType.PREFIXED,
        AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    grants.topic(topics.apps(), AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    // llm.budgets and llm.budget-state, read without a group like the apps registry.
    grants.topic(topics.budgets(), AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    grants.topic(topics.budgetState(), AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    grants.topic(topics.budgetAlerts(), AclOperation.CREATE);
    return grants.list();
  }

  /** The cost aggregator: usage in; rollups, budget state and alerts out. */
  public List<AclBinding> costAggregator(String principal, String applicationId) {
    Grants grants = streamsJob(principal, applicationId);
    grants.topic(topics.usage(), AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    grants.topic(topics.costRollups(), AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    grants.topic(topics.budgets(), AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    for (Topic<?> output : List.of(topics.budgetState(), topics.budgetAlerts())) {
      grants.topic(output, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    }
    return grants.list();
  }

  /** The audit archiver: audit records in, files out. */
  public List<AclBinding> auditArchiver(String principal, String applicationId) {
    Grants grants = streamsJob(principal, applicationId);
    grants.topic(topics.audit(), AclOperation.READ, AclOperation.DESCRIBE, AclOperation.CREATE);
    return grants.list();
  }

  /**
   * What every exactly-once Streams job needs: everything named after its application id (its
   * changelog and repartition topics, its group, its transactional ids) and the DLQ its bad
   * records go to.
   */
  private Grants streamsJob(String principal, String applicationId) {
    if (applicationId == null || applicationId.isBlank()) {
      throw new IllegalArgumentException("application id must not be blank: '" + applicationId + "'");
    }
    Grants grants = new Grants(principal);
    grants.add(ResourceType.TOPIC, applicationId, PatternType.PREFIXED, AclOperation.ALL);
    grants.add(ResourceType.GROUP, applicationId, PatternType.PREFIXED, AclOperation.READ, AclOperation.DESCRIBE);
    grants.add(ResourceType.TRANSACTIONAL_ID, applicationId, PatternType.PREFIXED,
        AclOperation.WRITE, AclOperation.DESCRIBE);
    grants.topic(topics.dlq(), AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    return grants;
  }

  /**
   * The {@code kafka-acls.sh} command lines that create {@code bindings}, one per principal and
   * resource pattern, operations in order.
   */
  public static List<String> kafkaAclsLines(List<AclBinding> bindings) {
    Map<List<Object>, List<AclOperation>> grouped = new LinkedHashMap<>();
    for (AclBinding binding : bindings) {
      ResourcePattern pattern = binding.pattern();
      List<Object> key = List.of(binding.entry().principal(), binding.entry().host(), binding.entry().permissionType(),
          pattern.resourceType(), pattern.name(), pattern.patternType());
      grouped.computeIfAbsent(key, k -> new ArrayList<>()).add(binding.entry().operation());
    }
    List<String> lines = new ArrayList<>();
    grouped.forEach((key, operations) -> {
      StringBuilder line = new StringBuilder("kafka-acls.sh --bootstrap-server \"$BOOTSTRAP\" --command-config admin.properties --add");
      line.append(key.get(2) == AclPermissionType.ALLOW ? " --allow-principal " : " --deny-principal ").append(key.get(0));
      operations.forEach(op -> line.append(" --operation ").append(operationName(op)));
      line.append(" --").append(resourceFlag((ResourceType) key.get(3)));
      if (key.get(3) != ResourceType.CLUSTER) {
        line.append(' ').append(key.get(4));
      }
      line.append(" --resource-pattern-type ").append(key.get(5).toString().toLowerCase(Locale.ROOT));
      lines.add(line.toString());
    });
    return lines;
  }

  private static String operationName(AclOperation op) {
    // kafka-acls.sh takes the operations in CamelCase: Read, Describe, IdempotentWrite.
    StringBuilder name = new StringBuilder();
    for (String part : op.name().split("_")) {
      name.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
    }
    return name.toString();
  }

  private static String resourceFlag(ResourceType type) {
    return switch (type) {
      case TOPIC -> "topic";
      case GROUP -> "group";
      case TRANSACTIONAL_ID -> "transactional-id";
      case CLUSTER -> "cluster";
      default -> throw new IllegalArgumentException("no kafka-acls.sh flag for " + type);
    };
  }

  /** Allow-bindings of one principal from any host, collected in order. */
  private static final class Grants {
    private final String principal;
    private final List<AclBinding> bindings = new ArrayList<>();

    Grants(String principal) {
      this.principal = principal;
    }

    void topic(Topic<?> topic, AclOperation... operations) {
      add(ResourceType.TOPIC, topic.name(), PatternType.LITERAL, operations);
    }

    void add(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
      for (AclOperation operation : operations) {
        bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
            new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
      }
    }

    List<AclBinding> list() {
      return List.copyOf(bindings);
    }
  }
}
