package io.llmbroker.costs.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.llmbroker.runtime.ops.OpsServer;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/costs?...} (see {@link CostQuery} for the parameters, plus
 * {@code format=json|csv}, JSON by default) answers the whole query from every instance;
 * {@code GET /api/costs/dimensions} lists the dimensions ({@code {"dimensions":["team",...,"feature"]}}).
 * Answers 200, 400 naming a bad parameter, 405 for another method, 503 naming the instance when
 * part of the state cannot be read (starting, restoring, rebalancing, unreachable). Errors are
 * JSON {@code {"error": "..."}}.
 *
 * <p>Instances ask each other for their part with {@code scope=local&partitions=0,3}; those are
 * answered on the server's thread, whole queries on {@code executor}, so that two instances
 * asking each other at once never wait on each other's busy server threads. Thread-safe.
 */
public final class CostQueryHandler implements HttpHandler {

  /** Where the handler is mounted on the ops server. */
  public static final String PATH = "/api/costs";

  private static final Logger LOG = LoggerFactory.getLogger(CostQueryHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CostAnswerer answerer;
  private final Clock clock;
  private final List<String> tags;
  private final Executor executor;

  /**
   * @param clock gives "now", the default end of the queried range
   * @param tags the tags rolled up as dimensions
   * @param executor runs whole queries
   */
  public CostQueryHandler(CostAnswerer answerer, Clock clock, List<String> tags, Executor executor) {
    this.answerer = answerer;
    this.clock = clock;
    this.tags = List.copyOf(tags);
    this.executor = executor;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (isPart(exchange.getRequestURI().getRawQuery())) {
      serve(exchange);
    } else {
      executor.execute(() -> {
        try {
          serve(exchange);
        } catch (IOException e) {
          LOG.debug("cost query answer not delivered: {}", e.toString());
        }
      });
    }
  }

  private static boolean isPart(String rawQuery) {
    try {
      return "local".equals(CostQuery.parameters(rawQuery).get("scope"));
    } catch (InvalidQueryException e) {
      return true; // refused at once, whatever it was
    }
  }

  private void serve(HttpExchange exchange) throws IOException {
    try {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET");
        error(exchange, 405, "only GET is supported");
        return;
      }
      if (exchange.getRequestURI().getPath().equals(PATH + "/dimensions")) {
        OpsServer.respond(exchange, 200, "application/json", dimensions());
        return;
      }
      Map<String, String> params = CostQuery.parameters(exchange.getRequestURI().getRawQuery());
      String format = params.remove("format");
      format = format == null ? "json" : format;
      if (!format.equals("json") && !format.equals("csv")) {
        throw new InvalidQueryException("format", format, "must be json or csv");
      }
      String scope = params.remove("scope");
      String partitions = params.remove("partitions");
      CostQuery costQuery = CostQuery.fromParameters(params, clock.instant(), tags);
      CostAnswer answer = "local".equals(scope)
          ? CostAnswer.part(costQuery, answerer.part(costQuery, partitions(partitions)))
          : answerer.answer(costQuery, clock.instant());
      if (format.equals("csv")) {
        exchange.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"costs.csv\"");
        OpsServer.respond(exchange, 200, "text/csv; charset=utf-8", CostRowsFormat.csv(answer));
      } else {
        OpsServer.respond(exchange, 200, "application/json", CostRowsFormat.json(answer));
      }
    } catch (InvalidQueryException e) {
      error(exchange, 400, e.getMessage());
    } catch (CostAnswerer.AnswerUnavailableException e) {
      error(exchange, 503, e.getMessage());
    } catch (InvalidStateStoreException e) {
      error(exchange, 503, "cost stores are not readable yet (starting or rebalancing); retry shortly");
    } catch (RuntimeException e) {
      LOG.warn("cost query failed: {}", e.toString(), e);
      error(exchange, 500, "internal error: " + e.getClass().getSimpleName());
    }
  }

  private String dimensions() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode names = root.putArray("dimensions");
    Dimension.BUILT_IN.forEach(d -> names.add(d.param()));
    tags.forEach(names::add);
    return root.toString();
  }

  private static Set<Integer> partitions(String text) {
    Set<Integer> partitions = new TreeSet<>();
    if (text == null || text.isBlank()) {
      return partitions;
    }
    for (String p : text.split(",")) {
      try {
        partitions.add(Integer.parseInt(p.trim()));
      } catch (NumberFormatException e) {
        throw new InvalidQueryException("partitions", text, "must be partition numbers separated by commas");
      }
    }
    return partitions;
  }

  private static void error(HttpExchange exchange, int status, String message) throws IOException {
    OpsServer.respond(exchange, status, "application/json",
        JSON.createObjectNode().put("error", message).toString());
  }
}
