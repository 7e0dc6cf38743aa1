package io.llmbroker.cli.costs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.costs.query.CostQueryClient;
import io.llmbroker.costs.query.CostQueryClient.CostQueryException;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llm-broker costs}: spend from the cost aggregator's query API, as a table with totals,
 * CSV or JSON; {@code --budgets} shows the budgets and their fill instead.
 */
@Command(name = "costs", mixinStandardHelpOptions = true,
    description = {"Spend by any dimension from the cost aggregator (any instance answers the whole query).",
        "Example: llm-broker costs --granularity month --from 2026-10-01 --team search --model gpt-4o --group-by customer"},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:answered", "1:the aggregator refused the query or cannot answer it whole now", "2:bad input"})
public final class CostsCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIGURES = List.of("requests", "input_tokens", "output_tokens", "errors");

  @Spec
  CommandSpec spec;

  @Option(names = "--url", defaultValue = "${env:LLM_BROKER_COSTS_URL:-http://localhost:8082}",
      description = "The cost aggregator (default: ${DEFAULT-VALUE}).")
  URI url;

  @Option(names = "--granularity", defaultValue = "day", description = "hour, day or month (default: ${DEFAULT-VALUE}).")
  String granularity;

  @Option(names = "--from", description = "Start, a date or an instant (default: a day of hours, 30 days, 12 months).")
  String from;

  @Option(names = "--to", description = "End, exclusive (default: now).")
  String to;

  @Option(names = "--group-by", split = ",", paramLabel = "DIM", description = "Dimensions to sum by: team, app, customer, provider, model or a configured tag.")
  List<String> groupBy = List.of();

  @Option(names = "--team", description = "Only this team.") String team;
  @Option(names = "--app", description = "Only this app.") String app;
  @Option(names = "--customer", description = "Only this customer.") String customer;
  @Option(names = "--provider", description = "Only this provider.") String provider;
  @Option(names = "--model", description = "Only this model.") String model;

  @Option(names = "--tag", paramLabel = "NAME=VALUE", description = "Only usage with this configured tag value (empty: untagged); repeatable.")
  Map<String, String> tags = new LinkedHashMap<>();

  @Option(names = "--top", description = "Keep the N groups that cost most over the whole range.")
  Integer top;

  @ArgGroup(exclusive = true)
  Output output = new Output();

  static final class Output {
    @Option(names = "--csv", description = "Print CSV, as the API writes it.") boolean csv;
    @Option(names = "--json", description = "Print JSON, as the API writes it.") boolean json;
    @Option(names = "--budgets", description = "Show the budgets, their spend and fill instead.") boolean budgets;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    CostQueryClient client = new CostQueryClient(url);
    try {
      if (output.budgets) {
        printBudgets(out, client.budgets());
      } else if (output.csv || output.json) {
        out.print(client.query(parameters(), output.csv ? "csv" : "json"));
        out.flush();
      } else {
        printTable(out, JSON.readTree(client.query(parameters(), "json")));
      }
      return 0;
    } catch (CostQueryException e) {
      spec.commandLine().getErr().println("llm-broker costs: " + e.getMessage());
      return e.status() == 400 ? 2 : 1;
    }
  }

  private Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("granularity", granularity);
    put(p, "from", from);
    put(p, "to", to);
    if (!groupBy.isEmpty()) {
      p.put("group-by", String.join(",", groupBy));
    }
    put(p, "team", team);
    put(p, "app", app);
    put(p, "customer", customer);
    put(p, "provider", provider);
    put(p, "model", model);
    p.putAll(tags);
    put(p, "top", top == null ? null : top.toString());
    return p;
  }

  private static void put(Map<String, String> p, String name, String value) {
    if (value != null) {
      p.put(name, value);
    }
  }

  private static void printTable(PrintWriter out, JsonNode answer) {
    boolean month = answer.path("granularity").asText().equals("month");
    List<String> header = new ArrayList<>(List.of("window"));
    answer.path("group_by").forEach(d -> header.add(d.asText()));
    header.addAll(FIGURES);
    header.add("cost_usd");
    if (month) {
      header.add("forecast_usd");
    }
    List<List<String>> lines = new ArrayList<>();
    for (JsonNode row : answer.path("rows")) {
      List<String> line = new ArrayList<>(List.of(window(answer, row)));
      answer.path("group_by").forEach(d -> line.add(value(row.path(d.asText()))));
      FIGURES.forEach(f -> line.add(row.path(f).asText()));
      line.add(row.path("cost_usd").asText());
      if (month) {
        line.add(row.path("forecast_cost_micros").isNumber()
            ? BigDecimal.valueOf(row.path("forecast_cost_micros").asLong(), 6).toPlainString() : "");
      }
      lines.add(line);
    }
    JsonNode totals = answer.path("totals");
    List<String> total = new ArrayList<>(List.of("total"));
    answer.path("group_by").forEach(d -> total.add(""));
    FIGURES.forEach(f -> total.add(totals.path(f).asText()));
    total.add(totals.path("cost_usd").asText());
    if (month) {
      total.add("");
    }
    print(out, header, lines, total);
  }

  private static String window(JsonNode answer, JsonNode row) {
    String start = row.path("window_start").asText();
    return switch (answer.path("granularity").asText()) {
      case "month" -> start.substring(0, 7);
      case "day" -> start.substring(0, 10);
      default -> start.substring(0, 16).replace('T', ' ');
    };
  }

  private static String value(JsonNode v) {
    if (v.isNull() || v.isMissingNode()) {
      return "(none)";
    }
    return v.asText().isEmpty() ? "(untagged)" : v.asText();
  }

  private static void printBudgets(PrintWriter out, Optional<String> json) throws IOException {
    if (json.isEmpty()) {
      out.println("Budgets are not enabled on this aggregator.");
      out.flush();
      return;
    }
    List<String> header = List.of("id", "scope", "period", "mode", "spent_usd", "limit_usd", "fill", "state", "resets_at");
    List<List<String>> lines = new ArrayList<>();
    for (JsonNode b : JSON.readTree(json.get())) {
      List<String> scope = new ArrayList<>();
      b.path("scope").fields().forEachRemaining(e -> {
        if (!e.getValue().isNull() && !e.getValue().asText().isEmpty()) {
          scope.add(e.getKey() + "=" + e.getValue().asText());
        }
      });
      lines.add(List.of(b.path("id").asText(), scope.isEmpty() ? "all" : String.join(" ", scope), b.path("period").asText(),
          b.path("mode").asText(), BigDecimal.valueOf(b.path("spent_micros").asLong(), 6).toPlainString(),
          BigDecimal.valueOf(b.path("limit_micros").asLong(), 6).toPlainString(),
          String.format("%.1f%%", b.path("percent").asDouble()), b.path("state").asText(), b.path("resets_at").asText()));
    }
    if (lines.isEmpty()) {
      out.println("No budgets are defined.");
      out.flush();
      return;
    }
    print(out, header, lines, null);
  }

  /** Left-aligned text, right-aligned figures; the totals line under a rule. */
  private static void print(PrintWriter out, List<String> header, List<List<String>> lines, List<String> total) {
    int[] widths = new int[header.size()];
    List<List<String>> all = new ArrayList<>(lines);
    all.add(header);
    if (total != null) {
      all.add(total);
    }
    for (List<String> line : all) {
      for (int i = 0; i < line.size(); i++) {
        widths[i] = Math.max(widths[i], line.get(i).length());
      }
    }
    out.println(format(header, widths));
    lines.forEach(line -> out.println(format(line, widths)));
    if (total != null) {
      out.println("-".repeat(format(total, widths).length()));
      out.println(format(total, widths));
    }
    out.flush();
  }

  private static String format(List<String> line, int[] widths) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < line.size(); i++) {
      String cell = line.get(i);
      boolean figure = cell.matches("-?[0-9][0-9.,%]*");
      text.append(i == 0 ? "" : "  ").append(figure ? " ".repeat(widths[i] - cell.length()) + cell
          : cell + " ".repeat(widths[i] - cell.length()));
    }
    return text.toString().stripTrailing();
  }
}
