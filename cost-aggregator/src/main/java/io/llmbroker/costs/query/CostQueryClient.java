package io.llmbroker.costs.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * A client of the cost aggregator's query API ({@code GET /api/costs}). Thread-safe; one
 * instance may be shared.
 */
public final class CostQueryClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final HttpClient http;

  /** @param base the service's ops address, e.g. {@code http://localhost:8082} */
  public CostQueryClient(URI base) {
    this.base = base;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /**
   * The rows answering {@code query}.
   *
   * @throws CostQueryException when the service refuses the query or cannot be reached
   */
  public List<CostRow> query(CostQuery query) {
    String body = get(query, "json");
    try {
      return CostRowsFormat.rows(body);
    } catch (IllegalArgumentException e) {
      throw new CostQueryException(200, "unreadable answer: " + e.getMessage());
    }
  }

  /**
   * The answer to {@code query} as CSV text, header included.
   *
   * @throws CostQueryException when the service refuses the query or cannot be reached
   */
  public String queryCsv(CostQuery query) {
    return get(query, "csv");
  }

  /**
   * The answer to a query given as request parameters (any dimension the service knows, tags
   * included; see {@link CostQuery}), as the service wrote it.
   *
   * @param format {@code json} or {@code csv}
   * @throws CostQueryException when the service refuses the query or cannot be reached
   */
  public String query(Map<String, String> parameters, String format) {
    StringJoiner q = new StringJoiner("&");
    parameters.forEach((name, value) -> q.add(encode(name) + "=" + encode(value)));
    q.add("format=" + encode(format));
    return ok(send(CostQueryHandler.PATH + "?" + q));
  }

  /**
   * The budgets and their state ({@code GET /budgets}) as JSON, or empty when the service has no
   * budgets (404).
   *
   * @throws CostQueryException when the service answers another error or cannot be reached
   */
  public Optional<String> budgets() {
    HttpResponse<String> response = send("/budgets");
    return response.statusCode() == 404 ? Optional.empty() : Optional.of(ok(response));
  }

  private String get(CostQuery query, String format) {
    return ok(send(CostQueryHandler.PATH + "?" + query.toQueryString() + "&format=" + format));
  }

  private HttpResponse<String> send(String pathAndQuery) {
    HttpRequest request = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(TIMEOUT).GET().build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CostQueryException(0, "cannot reach " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CostQueryException(0, "interrupted while querying " + base);
    }
  }

  private static String ok(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new CostQueryException(response.statusCode(), errorMessage(response.body()));
    }
    return response.body();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String errorMessage(String body) {
    try {
      return JSON.readTree(body).path("error").asText(body);
    } catch (IOException e) {
      return body;
    }
  }

  /** The query API refused a query or could not be reached. */
  public static final class CostQueryException extends RuntimeException {
    private final int status;

    CostQueryException(int status, String message) {
      super(status == 0 ? message : "HTTP " + status + ": " + message);
      this.status = status;
    }

    /** The HTTP status, or 0 when no answer came. */
    public int status() {
      return status;
    }
  }
}
