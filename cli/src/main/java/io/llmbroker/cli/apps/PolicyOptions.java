package io.llmbroker.cli.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.Priority;
import java.util.List;
import picocli.CommandLine.Option;

/** The policy fields of an app; an option left out leaves the field as it is. */
final class PolicyOptions {

  @Option(names = "--team", paramLabel = "TEAM", description = "The team the app's requests must name.")
  String team;

  @Option(names = "--models", paramLabel = "MODEL", split = ",",
      description = "Aliases and provider/model strings the app may request, comma separated; '*' allows any.")
  List<String> models;

  @Option(names = "--max-priority", paramLabel = "CLASS",
      description = "The highest priority class it may send: ${COMPLETION-CANDIDATES} (default for a new app: INTERACTIVE).")
  Priority maxPriority;

  @Option(names = "--max-tokens", paramLabel = "N",
      description = "The largest max_tokens it may ask for; requests must then name max_tokens. 0 removes the ceiling.")
  Integer maxTokens;

  @Option(names = "--default-customer", paramLabel = "CUSTOMER",
      description = "Customer attributed to requests that name none; empty removes it.")
  String defaultCustomer;

  /** Applies the options given to {@code app}. */
  void applyTo(App.Builder app) {
    if (team != null) {
      if (team.isBlank()) {
        throw new IllegalArgumentException("--team must not be blank");
      }
      app.setTeam(team);
    }
    if (models != null) {
      List<String> cleaned = models.stream().map(String::strip).filter(m -> !m.isEmpty()).distinct().toList();
      app.setModels(cleaned);
    }
    if (maxPriority != null) {
      app.setMaxPriority(maxPriority);
    }
    if (maxTokens != null) {
      if (maxTokens < 0) {
        throw new IllegalArgumentException("--max-tokens must be >= 0: " + maxTokens);
      }
      app.setMaxTokens(maxTokens == 0 ? null : maxTokens);
    }
    if (defaultCustomer != null) {
      app.setDefaultCustomer(defaultCustomer.isBlank() ? null : defaultCustomer);
    }
  }
}
