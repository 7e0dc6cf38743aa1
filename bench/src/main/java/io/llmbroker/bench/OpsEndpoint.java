package io.llmbroker.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A worker's ops server seen from outside: {@code /health/ready} and one metric from
 * {@code /metrics}, over real HTTP on loopback. Thread-safe.
 */
final class OpsEndpoint {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final int port;

  OpsEndpoint(int port) {
    this.port = port;
  }

  boolean ready() {
    return get("/health/ready").map(r -> r.statusCode() == 200).orElse(false);
  }

  /** The sum over every series of a gauge or counter; empty when the worker does not answer or has no such metric. */
  OptionalDouble metric(String name) {
    Optional<String> text = get("/metrics").filter(r -> r.statusCode() == 200).map(HttpResponse::body);
    return text.isEmpty() ? OptionalDouble.empty() : PrometheusText.sum(text.get(), name);
  }

  private Optional<HttpResponse<String>> get(String path) {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build();
      return Optional.of(HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
