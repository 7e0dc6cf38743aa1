package io.llmbroker.cli.client;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs one of the client commands as the shell would, capturing its output. */
record CliRun(int exitCode, String out, String err) {

  static CliRun run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(command)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("llm-broker: " + e.getMessage());
          return 2;
        });
    int code = cli.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
