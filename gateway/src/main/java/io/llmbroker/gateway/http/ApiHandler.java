package io.llmbroker.gateway.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.llmbroker.gateway.keys.Authenticator;
import io.llmbroker.gateway.keys.Caller;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /v1/} tree: gives every call a request id (returned as {@code x-request-id}), finds
 * its endpoint (404 or 405 otherwise), authenticates its key (401), reads its body within the size
 * limit (413), runs the endpoint and writes its answer when it completes, on whatever thread
 * completes it, so no HTTP thread waits for a model. Logs one line and times every call.
 */
public final class ApiHandler implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);

  private final Authenticator authenticator;
  private final int maxBodyBytes;
  private final MeterRegistry meters;
  private final List<Route> routes = new ArrayList<>();

  public ApiHandler(Authenticator authenticator, int maxBodyBytes, MeterRegistry meters) {
    this.authenticator = authenticator;
    this.maxBodyBytes = maxBodyBytes;
    this.meters = meters;
  }

  /** Adds an endpoint for {@code method} on paths matching {@code path}; {@code name} tags its metrics. */
  public ApiHandler route(String method, String path, String name, Endpoint endpoint) {
    return route(method, path, name, maxBodyBytes, endpoint);
  }

  /** As {@link #route(String, String, String, Endpoint)}, with bodies up to {@code bodyLimit} bytes. */
  public ApiHandler route(String method, String path, String name, int bodyLimit, Endpoint endpoint) {
    routes.add(new Route(method, Pattern.compile(path), name, bodyLimit, endpoint));
    return this;
  }

  @Override
  public void handle(HttpExchange exchange) {
    long start = System.nanoTime();
    String id = UUID.randomUUID().toString();
    exchange.getResponseHeaders().set("x-request-id", id);
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    List<Route> matching = routes.stream().filter(r -> r.path().matcher(path).matches()).toList();
    Route route = matching.stream().filter(r -> r.method().equals(method)).findFirst().orElse(null);
    String name = route == null ? "unknown" : route.name();
    CompletionStage<HttpReply> reply;
    Caller[] caller = new Caller[1];
    try {
      if (route == null) {
        throw matching.isEmpty()
            ? new OpenAiError(404, "invalid_request_error", "unknown_url", null, "Invalid URL (" + method + " " + path + ")", false)
            : new OpenAiError(405, "invalid_request_error", "method_not_allowed", null,
                "Method " + method + " is not allowed on " + path, false);
      }
      caller[0] = authenticator.authenticate(exchange.getRequestHeaders().getFirst("Authorization"));
      byte[] body = readBody(exchange, route.bodyLimit());
      reply = route.endpoint().handle(new ApiRequest(id, path, exchange.getRequestHeaders(), body, caller[0]));
    } catch (OpenAiError e) {
      reply = CompletableFuture.completedFuture(HttpReply.error(e));
    } catch (RuntimeException e) {
      reply = CompletableFuture.completedFuture(internal(id, e));
    }
    reply.handle((r, e) -> e == null ? r : failure(id, e))
        .thenAccept(r -> send(exchange, r, id, name, caller[0], start));
  }

  private static byte[] readBody(HttpExchange exchange, int limit) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null && !length.isEmpty() && length.length() < 19 && length.chars().allMatch(Character::isDigit)
        && Long.parseLong(length) > limit) {
      throw tooLarge(limit);
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        throw tooLarge(limit);
      }
      return body;
    } catch (IOException e) {
      throw OpenAiError.invalid(null, "could not read the request body: " + e.getMessage());
    }
  }

  private static OpenAiError tooLarge(int limit) {
    return new OpenAiError(413, "invalid_request_error", "request_too_large", null,
        "The request body is larger than the limit of " + limit + " bytes.", false);
  }

  private static HttpReply failure(String id, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof OpenAiError error ? HttpReply.error(error) : internal(id, cause);
  }

  private static HttpReply internal(String id, Throwable e) {
    log.error("event=gateway_internal_error request_id={} error={}", id, e.toString(), e);
    return HttpReply.error(new OpenAiError(500, "server_error", "internal_error", null,
        "The gateway failed to handle request " + id + ".", true));
  }

  private void send(HttpExchange exchange, HttpReply reply, String id, String name, Caller caller, long start) {
    try (exchange) {
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      exchange.getResponseHeaders().set("Content-Type", reply.contentType());
      exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
      exchange.getResponseBody().write(reply.body());
    } catch (IOException e) {
      log.info("event=gateway_reply_not_delivered request_id={} error={}", id, e.toString());
    } finally {
      long nanos = System.nanoTime() - start;
      Timer.builder("llm.gateway.requests").description("OpenAI API calls by endpoint and HTTP status")
          .tag("endpoint", name).tag("status", String.valueOf(reply.status()))
          .register(meters).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      log.info("event=gateway_request request_id={} method={} path={} status={} outcome={} app={} key={} ms={}", id,
          exchange.getRequestMethod(), exchange.getRequestURI().getPath(), reply.status(), reply.outcome(),
          caller == null ? "" : caller.app().getId(), caller == null ? "" : caller.key().getId(), nanos / 1_000_000);
    }
  }

  private record Route(String method, Pattern path, String name, int bodyLimit, Endpoint endpoint) {}
}
