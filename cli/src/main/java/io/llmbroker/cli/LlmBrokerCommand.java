package io.llmbroker.cli;

import io.llmbroker.cli.apps.AppsCommand;
import io.llmbroker.cli.client.BatchCommand;
import io.llmbroker.cli.client.SubmitCommand;
import io.llmbroker.cli.demo.DemoCommand;
import io.llmbroker.cli.local.LocalCommand;
import io.llmbroker.cli.services.AuditArchiverCommand;
import io.llmbroker.cli.services.CostAggregatorCommand;
import io.llmbroker.cli.services.WorkerCommand;
import io.llmbroker.runtime.config.ConfigException;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code llm-broker} command. */
@Command(name = "llm-broker",
    mixinStandardHelpOptions = true,
    versionProvider = LlmBrokerCommand.Version.class,
    description = "An asynchronous LLM gateway on Apache Kafka.",
    footer = {"", "Benchmarks: llm-broker bench --help"},
    subcommands = {
        DemoCommand.class,
        LocalCommand.class,
        WorkerCommand.class,
        CostAggregatorCommand.class,
        AuditArchiverCommand.class,
        SubmitCommand.class,
        BatchCommand.class,
        AppsCommand.class,
        io.llmbroker.cli.security.AclsCommand.class,
        io.llmbroker.cli.budgets.BudgetsCommand.class,
        io.llmbroker.cli.apps.KeysCommand.class,
        io.llmbroker.cli.services.GatewayCommand.class,
        io.llmbroker.cli.audit.AuditCommand.class,
        io.llmbroker.cli.audit.ReplayCommand.class,
        io.llmbroker.cli.costs.CostsCommand.class,
        CommandLine.HelpCommand.class
    })
public final class LlmBrokerCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Services log what they do; commands people run by hand show only warnings and their own output. */
  private static final Set<String> SERVICES = Set.of("worker", "cost-aggregator", "audit-archiver", "local", "gateway");

  public static void main(String[] args) {
    boolean service = args.length > 0 && SERVICES.contains(args[0]);
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", service ? "info" : "warn"));
    System.exit(commandLine().execute(args));
  }

  /** The command line with its error handling: bad config and bad input are one line, not a stack trace. */
  public static CommandLine commandLine() {
    return new CommandLine(new LlmBrokerCommand())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof ConfigException || e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            cmd.getErr().println(cmd.getColorScheme().errorText("llm-broker: " + e.getMessage()));
            return 2;
          }
          throw e;
        });
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The version from the jar manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = LlmBrokerCommand.class.getPackage().getImplementationVersion();
      return new String[] {"llm-broker " + (v == null ? "development" : v)};
    }
  }
}
