package io.llmbroker.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code llm-broker bench ...}: the benchmarks behind the figures in {@code docs/BENCHMARKS.md}.
 * Each subcommand starts (or reuses) a real Kafka broker, runs the product against a simulated
 * or fake provider under its own topic prefix, prints a Markdown result block, deletes its
 * topics and stops what it started. Each exits 0 whether or not its target is met; the block
 * says which.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmarks of the worker and the client on a real Kafka broker.",
        "Each prints a Markdown result block (what, how, machine, date, figures, target met or missed)."},
    subcommands = {
        LatencyBench.class,
        ThroughputBench.class,
        SignatureBench.class,
        PriorityBench.class,
        CapsBench.class,
        CrashBench.class,
        MemoryBench.class,
        BudgetsBench.class,
        BenchClientCommand.class,
        GatewayBench.class,
        ArchiveBench.class,
        RollupsBench.class,
        CostQueryBench.class,
        CommandLine.HelpCommand.class
    })
public final class BenchCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Run by {@code llm-broker bench ...}; the benchmarks' classpath is their own, not the command's. */
  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    System.exit(commandLine().execute(args));
  }

  /** The command line with its error handling: a bad option or config is one line, not a stack trace. */
  public static CommandLine commandLine() {
    return new CommandLine(new BenchCommand())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            cmd.getErr().println(cmd.getColorScheme().errorText("llm-broker bench: " + e.getMessage()));
            return 2;
          }
          throw e;
        });
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
