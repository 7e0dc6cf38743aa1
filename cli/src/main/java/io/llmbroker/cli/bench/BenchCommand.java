package io.llmbroker.cli.bench;

import io.llmbroker.cli.client.BenchClientCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code llm-broker bench ...}: the benchmarks behind the figures in {@code docs/BENCHMARKS.md}.
 * Each subcommand starts (or reuses) a real Kafka broker, runs the product against a simulated
 * or fake provider under its own topic prefix, prints a Markdown result block, deletes its
 * topics and stops what it started. Each exits 0 whether or not its target is met; the block
 * says which. {@code bench client} (the client library's own costs) lives with the client commands.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmarks of the worker and the client on a real Kafka broker.",
        "Each prints a Markdown result block (what, how, machine, date, figures, target met or missed)."},
    subcommands = {
        LatencyBench.class,
        ThroughputBench.class,
        PriorityBench.class,
        CapsBench.class,
        MemoryBench.class,
        BenchClientCommand.class,
        CommandLine.HelpCommand.class
    })
public final class BenchCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
