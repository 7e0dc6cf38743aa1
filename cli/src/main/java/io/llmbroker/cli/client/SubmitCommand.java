package io.llmbroker.cli.client;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.client.RequestBuilder;
import io.llmbroker.client.RequestTimeoutException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code llm-broker submit "prompt" --model fast --team x}: one request, its answer, cost and latency. */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = "Sends one prompt through the broker and prints the answer, its cost and latency.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the answer arrived (status OK)", "1:the request ended with another status or timed out",
        "2:bad input or configuration"})
public final class SubmitCommand implements Callable<Integer> {

  @Mixin
  ClientOptions client;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PROMPT", description = "The user message.")
  String prompt;

  @Option(names = "--model", required = true, description = "Model alias (fast, smart) or provider/model.")
  String model;

  @Option(names = "--team", required = true, description = "Team charged for the request.")
  String team;

  @Option(names = "--app", defaultValue = "cli", description = "App named in the request (default: ${DEFAULT-VALUE}).")
  String app;

  @Option(names = "--customer", description = "Customer the request is made for.")
  String customer;

  @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "A free tag; repeatable.")
  Map<String, String> tags = Map.of();

  @Option(names = "--system", description = "A system message before the prompt.")
  String system;

  @Option(names = "--priority", defaultValue = "interactive", description = "interactive, standard or batch (default: ${DEFAULT-VALUE}).")
  String priority;

  @Option(names = "--timeout", defaultValue = "60s", converter = DurationConverter.class,
      description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--max-tokens", description = "Cap on output tokens.")
  Integer maxTokens;

  @Option(names = "--temperature", description = "Sampling temperature.")
  Float temperature;

  @Option(names = "--service", defaultValue = "llm-broker-cli",
      description = "Reply service name: the answer comes back on llm.responses.<service> (default: ${DEFAULT-VALUE}).")
  String service;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Priority chosen = parsePriority(priority);
    try (LlmBrokerClient broker = LlmBrokerClient.create(client.clientConfig(service, System.getenv()).withDefaultTimeout(timeout))) {
      RequestBuilder request = broker.request().model(model).team(team).app(app).customer(customer)
          .tags(tags).priority(chosen);
      if (system != null) {
        request.system(system);
      }
      request.user(prompt);
      if (maxTokens != null) {
        request.maxTokens(maxTokens);
      }
      if (temperature != null) {
        request.temperature(temperature);
      }
      long started = System.nanoTime();
      LlmResponse response;
      try {
        response = request.submit().get();
      } catch (ExecutionException e) {
        err.println("llm-broker: " + (e.getCause() instanceof RequestTimeoutException ? "" : "request failed: ") + e.getCause().getMessage());
        return 1;
      }
      long roundTripMs = (System.nanoTime() - started) / 1_000_000;
      if (response.getStatus() == ResponseStatus.OK) {
        out.println(response.getContent());
        out.println();
      } else {
        err.println("llm-broker: " + response.getStatus() + ": "
            + (response.getError() != null ? response.getError().getMessage() : "no answer"));
      }
      out.println(summary(response, roundTripMs));
      out.flush();
      return response.getStatus() == ResponseStatus.OK ? 0 : 1;
    }
  }

  static Priority parsePriority(String value) {
    try {
      return Priority.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--priority must be interactive, standard or batch: '" + value + "'");
    }
  }

  private static String summary(LlmResponse r, long roundTripMs) {
    String servedBy = r.getProvider() == null ? "-" : r.getProvider() + "/" + r.getModel();
    return "status " + r.getStatus()
        + " | model " + servedBy
        + " | cost " + Money.usd(r.getCostMicros())
        + " | latency " + roundTripMs + " ms (queued " + r.getTimings().getQueuedMs() + " ms, provider "
        + r.getTimings().getProviderMs() + " ms)"
        + " | tokens " + r.getUsage().getInputTokens() + " in, " + r.getUsage().getOutputTokens() + " out"
        + " | attempts " + r.getAttempts();
  }
}
