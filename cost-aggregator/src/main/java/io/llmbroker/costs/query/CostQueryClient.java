package io.llmbroker.costs.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

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

  private String get(CostQuery query, String format) {
    URI uri = base.resolve(CostQueryHandler.PATH + "?" + query.toQueryString() + "&format=" + format);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CostQueryException(0, "cannot reach " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CostQueryException(0, "interrupted while querying " + base);
    }
    if (response.statusCode() != 200) {
      throw new CostQueryException(response.statusCode(), errorMessage(response.body()));
    }
    return response.body();
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
