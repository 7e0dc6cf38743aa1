package io.llmbroker.cli.audit;

import io.llmbroker.audit.query.ArchiveQuery;
import io.llmbroker.audit.query.CallStory;
import io.llmbroker.audit.query.EvalExport;
import io.llmbroker.audit.query.ResultFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code llm-broker audit query|show|export}: the audit log, asked through DuckDB. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Ask the audit archive: SQL over the view 'calls', one call's story, eval-set export.",
    subcommands = {AuditCommand.Query.class, AuditCommand.Show.class, AuditCommand.Export.class,
        CommandLine.HelpCommand.class})
public final class AuditCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static ArchiveQuery open(Path archive) {
    if (!Files.isDirectory(archive)) {
      throw new IllegalArgumentException("no archive at " + archive.toAbsolutePath()
          + " (run llm-broker demo first, or give --archive DIR)");
    }
    try {
      return ArchiveQuery.open(archive);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open the archive " + archive + ": " + e.getMessage(), e);
    }
  }

  @Command(name = "query", mixinStandardHelpOptions = true,
      description = {"Runs SQL over the view 'calls' (one row per call; see the README for its columns).",
          "Example: llm-broker audit query \"SELECT model, sum(cost_usd) FROM calls GROUP BY model\""})
  static final class Query implements Callable<Integer> {
    @Mixin ArchiveLocation location;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Parameters(index = "0", paramLabel = "SQL")
    String sql;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws SQLException {
      ResultFormat out = ResultFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT));
      try (ArchiveQuery archive = open(location.resolve());
          Statement statement = archive.connection().createStatement()) {
        ResultSet rs;
        try {
          rs = statement.executeQuery(sql);
        } catch (SQLException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
        try (rs) {
          out.print(rs, spec.commandLine().getOut());
        }
      }
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "One call's whole story: request, every attempt, the answer, cost, which worker.")
  static final class Show implements Callable<Integer> {
    @Mixin ArchiveLocation location;

    @Parameters(index = "0", paramLabel = "REQUEST-ID", description = "The request id, or a prefix of only one.")
    String requestId;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws SQLException {
      try (ArchiveQuery archive = open(location.resolve())) {
        return CallStory.print(archive, requestId, spec.commandLine().getOut()) ? 0 : 1;
      }
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"Writes calls as JSON lines: openai-chat (messages plus the answer given: an eval or",
          "fine-tuning set) or openai-batch (a Batch API input file to run the same prompts elsewhere)."})
  static final class Export implements Callable<Integer> {
    @Mixin ArchiveLocation location;

    @Option(names = "--where", description = "An SQL condition over 'calls', e.g. \"team = 'search' AND date >= DATE '2026-12-01'\".")
    String where;

    @Option(names = "--format", defaultValue = "openai-chat", description = "openai-chat or openai-batch (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, description = "The file to write (default: standard output).")
    Path output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws SQLException, IOException {
      EvalExport.Format as = switch (format) {
        case "openai-chat" -> EvalExport.Format.OPENAI_CHAT;
        case "openai-batch" -> EvalExport.Format.OPENAI_BATCH;
        default -> throw new IllegalArgumentException("--format must be openai-chat or openai-batch: " + format);
      };
      try (ArchiveQuery archive = open(location.resolve());
          PrintWriter out = output == null ? null : new PrintWriter(Files.newBufferedWriter(output))) {
        long n;
        try {
          n = EvalExport.write(archive, where, as, out == null ? spec.commandLine().getOut() : out);
        } catch (SQLException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (output != null) {
          spec.commandLine().getErr().printf("%d lines written to %s%n", n, output);
        }
      }
      return 0;
    }
  }
}
