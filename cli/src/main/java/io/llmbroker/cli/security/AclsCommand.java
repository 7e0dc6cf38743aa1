package io.llmbroker.cli.security;

import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.runtime.security.RoleAcls;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llm-broker acls}: the Kafka ACLs one role needs, as {@code kafka-acls.sh} lines, or
 * created at once with {@code --apply}. The definitions are {@link RoleAcls}'.
 */
@Command(name = "acls", mixinStandardHelpOptions = true,
    description = {"Prints the Kafka ACLs a role needs as kafka-acls.sh lines; --apply creates them.",
        "Roles: service, worker, cost-aggregator, audit-archiver, gateway."})
public final class AclsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Option(names = "--role", required = true, paramLabel = "ROLE",
      description = "service, worker, cost-aggregator, audit-archiver or gateway.")
  String role;

  @Option(names = "--principal", required = true, paramLabel = "TYPE:NAME",
      description = "The principal the role runs as, such as User:checkout (its SASL user).")
  String principal;

  @Option(names = "--service", paramLabel = "NAME",
      description = "service and gateway: the reply service (llm.responses.<NAME>); NAME* grants every name it starts.")
  String service;

  @Option(names = "--application-id", paramLabel = "ID",
      description = "cost-aggregator and audit-archiver: the Streams application id (default: <prefix>llm-broker-<role>).")
  String applicationId;

  @Option(names = "--apply", description = "Create the ACLs through the Admin API (--bootstrap-server, --config: an admin's credentials).")
  boolean apply;

  @Override
  public Integer call() throws InterruptedException {
    ClientConfig config = client.clientConfig("acls", System.getenv());
    RoleAcls.Role parsed = RoleAcls.Role.of(role);
    List<AclBinding> bindings = new RoleAcls(config.topics()).forRole(parsed, principal, Optional.ofNullable(service),
        Optional.ofNullable(applicationId));
    PrintWriter out = spec.commandLine().getOut();
    if (!apply) {
      out.println("# " + parsed.cliName() + " " + principal + ": " + bindings.size() + " ACLs; BOOTSTRAP and admin.properties"
          + " are an admin's (a super user or a principal allowed to alter ACLs)");
      RoleAcls.kafkaAclsLines(bindings).forEach(out::println);
      return 0;
    }
    Map<String, Object> adminProps = config.kafkaProperties();
    adminProps.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
    try (Admin admin = Admin.create(adminProps)) {
      admin.createAcls(bindings).all().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create the ACLs of " + principal + ": " + e.getCause().getMessage(), e);
    }
    out.println("created " + bindings.size() + " ACLs for " + parsed.cliName() + " " + principal);
    return 0;
  }
}
