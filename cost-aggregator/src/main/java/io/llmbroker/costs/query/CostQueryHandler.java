package io.llmbroker.costs.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.llmbroker.runtime.ops.OpsServer;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/costs?...} (see {@link CostQuery} for the parameters, plus
 * {@code format=json|csv}, JSON by default). Answers 200 with the rows, 400 naming a bad
 * parameter, 405 for another method, 503 while the stores cannot be read (starting,
 * rebalancing). Errors are JSON {@code {"error": "..."}}. Thread-safe.
 */
public final class CostQueryHandler implements HttpHandler {

  /** Where the handler is mounted on the ops server. */
  public static final String PATH = "/api/costs";

  private static final Logger LOG = LoggerFactory.getLogger(CostQueryHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RollupSource source;
  private final Clock clock;

  /** @param clock gives "now", the default end of the queried range */
  public CostQueryHandler(RollupSource source, Clock clock) {
    this.source = source;
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
      Map<String, String> params = CostQuery.parameters(exchange.getRequestURI().getRawQuery());
      String format = params.getOrDefault("format", "json");
      if (!format.equals("json") && !format.equals("csv")) {
        throw new InvalidQueryException("format", format, "must be json or csv");
      }
      CostQuery query = CostQuery.fromParameters(params, clock.instant());
      List<CostRow> rows = CostQueryEngine.answer(query, source);
      if (format.equals("csv")) {
        OpsServer.respond(exchange, 200, "text/csv; charset=utf-8", CostRowsFormat.csv(query, rows));
      } else {
        OpsServer.respond(exchange, 200, "application/json", CostRowsFormat.json(query, rows));
      }
    } catch (InvalidQueryException e) {
      error(exchange, 400, e.getMessage());
    } catch (InvalidStateStoreException e) {
      error(exchange, 503, "cost stores are not readable yet (starting or rebalancing); retry shortly");
    } catch (RuntimeException e) {
      LOG.warn("cost query failed: {}", e.toString(), e);
      error(exchange, 500, "internal error: " + e.getClass().getSimpleName());
    }
  }

  private static void error(HttpExchange exchange, int status, String message) throws IOException {
    OpsServer.respond(exchange, status, "application/json",
        JSON.createObjectNode().put("error", message).toString());
  }
}
