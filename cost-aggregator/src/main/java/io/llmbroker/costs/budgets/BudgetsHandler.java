package io.llmbroker.costs.budgets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.runtime.budgets.BudgetRules;
import io.llmbroker.runtime.ops.OpsServer;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.time.Clock;
import java.util.Comparator;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /budgets}: every readable budget with its period-to-date spend, sorted by id, as
 * <pre>{@code
 * [{"id", "scope": {"team", "app", "customer", "model"}, "period", "mode", "limit_micros",
 *   "spent_micros", "percent", "state", "period_start", "resets_at"}]
 * }</pre>
 * Times are epoch millis; a budget whose stored spend is of an earlier period (or that has no
 * spend yet) shows 0 for the current period. 503 while the stores cannot be read. Like the cost
 * queries, it reads this instance's stores. Thread-safe.
 */
public final class BudgetsHandler implements HttpHandler {

  /** Where the handler is mounted on the ops server. */
  public static final String PATH = "/budgets";

  private static final Logger LOG = LoggerFactory.getLogger(BudgetsHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaStreams streams;
  private final Topics topics;
  private final AvroSerdes serdes;
  private final Clock clock;

  public BudgetsHandler(KafkaStreams streams, Topics topics, AvroSerdes serdes, Clock clock) {
    this.streams = streams;
    this.topics = topics;
    this.serdes = serdes;
    this.clock = clock;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET");
        error(exchange, 405, "only GET is supported");
        return;
      }
      OpsServer.respond(exchange, 200, "application/json", body());
    } catch (InvalidStateStoreException e) {
      error(exchange, 503, "budget stores are not readable yet (starting or rebalancing); retry shortly");
    } catch (RuntimeException e) {
      LOG.warn("budgets query failed: {}", e.toString(), e);
      error(exchange, 500, "internal error: " + e.getClass().getSimpleName());
    }
  }

  private String body() {
    ReadOnlyKeyValueStore<String, byte[]> raw = streams.store(
        StoreQueryParameters.fromNameAndType(BudgetTopology.BUDGETS_STORE, QueryableStoreTypes.keyValueStore()));
    ReadOnlyKeyValueStore<String, BudgetState> spend = streams.store(
        StoreQueryParameters.fromNameAndType(BudgetTopology.SPEND_STORE, QueryableStoreTypes.keyValueStore()));
    BudgetLookup budgets = new BudgetLookup(raw, topics.budgets().name(), serdes.serde(Budget.class).deserializer());
    long now = clock.millis();
    ArrayNode rows = JSON.createArrayNode();
    budgets.all().stream().sorted(Comparator.comparing(Budget::getId)).forEach(budget -> {
      BudgetRules.Window period = BudgetRules.window(budget.getPeriod(), now);
      BudgetState state = spend.get(budget.getId());
      long spent = state != null && state.getPeriodStart() == period.start() ? state.getSpentMicros() : 0;
      ObjectNode row = rows.addObject();
      row.put("id", budget.getId());
      ObjectNode scope = row.putObject("scope");
      scope.put("team", budget.getScope().getTeam());
      scope.put("app", budget.getScope().getApp());
      scope.put("customer", budget.getScope().getCustomer());
      scope.put("model", budget.getScope().getModel());
      row.put("period", budget.getPeriod().name());
      row.put("mode", budget.getMode().name());
      row.put("limit_micros", budget.getLimitMicros());
      row.put("spent_micros", spent);
      row.put("percent", BudgetRules.percent(spent, budget.getLimitMicros()));
      row.put("state", BudgetRules.status(budget, spent).name());
      row.put("period_start", period.start());
      row.put("resets_at", period.end());
    });
    return rows.toString();
  }

  private static void error(HttpExchange exchange, int status, String message) throws IOException {
    OpsServer.respond(exchange, status, "application/json", JSON.createObjectNode().put("error", message).toString());
  }
}
