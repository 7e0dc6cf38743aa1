package io.llmbroker.runtime.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The operations endpoint every service serves: {@code /health/live} (200 while the service
 * can still do its job, 503 once it cannot and should be restarted), {@code /health/ready}
 * (200 when it takes traffic, 503 otherwise) and {@code /metrics} in the Prometheus text format. Services
 * may mount their own handlers (the cost query API) on the same port.
 */
public final class OpsServer implements AutoCloseable {

  static {
    // The JDK's server leaves Nagle's algorithm on unless told otherwise (read once, when its
    // first server starts): a small answer then waits for the client's delayed ACK.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final PrometheusMeterRegistry registry;

  /**
   * Starts serving on {@code host:port} (port 0 picks a free one).
   *
   * @param live answers whether the service still works, however slowly
   * @param ready answers whether the service is ready to take traffic
   */
  public OpsServer(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier live, BooleanSupplier ready) {
    this.registry = registry;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "ops-http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/health/live", ex -> health(ex, live, "live"));
    server.createContext("/health/ready", ex -> health(ex, ready, "ready"));
    server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.start();
  }

  /** A registry for a service's meters, scraped by {@code /metrics}. */
  public static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Mounts a handler under {@code path}. */
  public void handle(String path, HttpHandler handler) {
    server.createContext(path, handler);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void health(HttpExchange exchange, BooleanSupplier check, String what) throws IOException {
    boolean ok = check.getAsBoolean();
    respond(exchange, ok ? 200 : 503, "text/plain", (ok ? "" : "not ") + what + "\n");
  }

  /** Writes a complete response and closes the exchange. */
  public static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
