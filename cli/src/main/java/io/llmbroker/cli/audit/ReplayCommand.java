package io.llmbroker.cli.audit;

import io.llmbroker.audit.query.ArchiveQuery;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code llm-broker replay}: a window of archived traffic sent again to another model, side by side. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {"Re-sends archived requests to another model (new ids, batch priority, tagged llm.replay)",
        "through a running worker and writes a side-by-side report (answered, errors, cost, latency, answers)."})
public final class ReplayCommand implements Callable<Integer> {

  @Mixin ArchiveLocation location;
  @Mixin ClientOptions client;

  @Option(names = "--from", description = "Calls created at or after this time, e.g. 2026-12-01 or '2026-12-01 12:00'.")
  String from;

  @Option(names = "--to", description = "Calls created before this time.")
  String to;

  @Option(names = "--where", description = "An SQL condition over 'calls', e.g. \"team = 'search'\".")
  String where;

  @Option(names = "--model", required = true, description = "The candidate model alias.")
  String model;

  @Option(names = "--report", description = "The report file (default: replay-<id>.md).")
  Path report;

  @Option(names = "--timeout", defaultValue = "10m", converter = io.llmbroker.cli.client.DurationConverter.class,
      description = "How long to wait for the answers (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    String replayId = "replay-" + UUID.randomUUID().toString().substring(0, 8);
    StringBuilder condition = new StringBuilder("TRUE");
    if (from != null) {
      condition.append(" AND created_at >= TIMESTAMP '").append(literal(from)).append("'");
    }
    if (to != null) {
      condition.append(" AND created_at < TIMESTAMP '").append(literal(to)).append("'");
    }
    if (where != null && !where.isBlank()) {
      condition.append(" AND (").append(where).append(")");
    }
    ClientConfig config = client.clientConfig("replay", System.getenv()).withDefaultTimeout(timeout);
    List<Replay.Pair> pairs;
    try (ArchiveQuery archive = AuditCommand.open(location.resolve());
        LlmBrokerClient broker = LlmBrokerClient.create(config)) {
      try {
        pairs = Replay.run(archive, condition.toString(), model, replayId, broker, timeout);
      } catch (SQLException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    String window = "created " + (from == null ? "any time" : "from " + from) + (to == null ? "" : " to " + to)
        + (where == null ? "" : ", where " + where);
    Path file = report == null ? Path.of(replayId + ".md") : report;
    Files.writeString(file, Replay.report(replayId, window, model, pairs));
    spec.commandLine().getOut().printf("%s: %d calls replayed as %s; report in %s%n", replayId, pairs.size(), model, file);
    return 0;
  }

  private static String literal(String time) {
    return time.replace("'", "''");
  }
}
