package io.llmbroker.worker.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.TraceContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared half of every HTTP provider: builds one JSON POST, sends it with the JDK
 * {@link HttpClient} asynchronously (no thread waits on the provider), copies the W3C trace
 * context, and turns the answer into a {@link ProviderReply} or a classified
 * {@link ProviderException}. Subclasses only say where to send, how to authenticate, how to
 * shape the body and how to read the provider's documents.
 *
 * <p>What every provider shares: a 404 (or 405) is a {@code DEPLOYMENT_FAULT} (a wrong base URL or model
 * name) whose message names the URL called; the error message is read from any JSON or text
 * body ({@link ErrorText}); a success without token usage gets its tokens estimated
 * ({@link UsageEstimator}) and marked so.
 *
 * <p>Credentials: the key is added as a header and nowhere else; provider error messages are
 * scrubbed of the key and of anything shaped like one before they become exception messages,
 * and URLs are shown without user info or query. Thread-safe.
 */
public abstract class HttpJsonAdapter implements ProviderAdapter {

  protected static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(HttpJsonAdapter.class);

  /**
   * How a non-2xx answer is classified.
   *
   * @param code the provider's own error code or type, or {@code null}
   * @param retryAfter how long the provider asked to wait, when it said
   */
  public record Failure(ErrorClass errorClass, String code, Optional<Duration> retryAfter) {}

  private final String name;
  private final HttpClient http;
  private final Clock clock;
  private final ErrorText errors;
  private final AtomicBoolean warnedEstimate = new AtomicBoolean();

  protected HttpJsonAdapter(String name, HttpClient http, Clock clock, String secret) {
    this.name = name;
    this.http = http;
    this.clock = clock;
    this.errors = new ErrorText(secret);
  }

  @Override
  public final String provider() {
    return name;
  }

  @Override
  public final CompletableFuture<ProviderReply> send(ProviderCall call) {
    CompletableFuture<ProviderReply> reply = new CompletableFuture<>();
    HttpRequest request;
    try {
      byte[] body = JSON.writeValueAsBytes(body(call));
      HttpRequest.Builder b = HttpRequest.newBuilder(uri(call))
          .timeout(call.timeout())
          .header("content-type", "application/json")
          .header("accept", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      authenticate(b);
      TraceContext trace = call.request().getTrace();
      if (trace != null) {
        b.header("traceparent", trace.getTraceparent());
        if (trace.getTracestate() != null && !trace.getTracestate().isEmpty()) {
          b.header("tracestate", trace.getTracestate());
        }
      }
      request = b.build();
    } catch (IllegalArgumentException e) {
      reply.completeExceptionally(new ProviderException(ErrorClass.CALLER_FAULT, name + " cannot take this request: "
          + errors.scrub(e.getMessage())));
      return reply;
    } catch (IOException e) {
      reply.completeExceptionally(new ProviderException(ErrorClass.INTERNAL, "cannot encode request: " + e.getMessage()));
      return reply;
    }
    CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    reply.whenComplete((r, e) -> {
      if (reply.isCancelled()) {
        exchange.cancel(true);
      }
    });
    URI called = request.uri();
    exchange.whenComplete((response, error) -> {
      if (error != null) {
        reply.completeExceptionally(transportFailure(error, called));
        return;
      }
      try {
        JsonNode json = readJson(response.body());
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          if (json == null) {
            String said = errors.read(response.body(), null);
            throw new ProviderException(ErrorClass.TRANSIENT, name + " answered " + status + " without a JSON body"
                + (said == null ? "" : ": " + said) + " (called " + shown(called) + ")", status, null, null);
          }
          reply.complete(estimateMissingUsage(call, parse(json, status, call)));
        } else {
          reply.completeExceptionally(failure(status, json, response.body(), retryAfter(response.headers()), called));
        }
      } catch (ProviderException e) {
        reply.completeExceptionally(e);
      } catch (RuntimeException e) {
        reply.completeExceptionally(new ProviderException(ErrorClass.TRANSIENT, name + " answered a document we cannot read: "
            + e.getClass().getSimpleName(), response.statusCode(), null, null));
      }
    });
    return reply;
  }

  protected abstract URI uri(ProviderCall call);

  protected abstract void authenticate(HttpRequest.Builder request);

  /** The JSON body; throws IllegalArgumentException when the request cannot be expressed (a caller fault). */
  protected abstract ObjectNode body(ProviderCall call);

  /**
   * Reads a 2xx document; throws a {@link ProviderException} when it holds no completion (see
   * {@link #noCompletion}). Usage the document lacks is left at 0 and estimated by the caller.
   */
  protected abstract ProviderReply parse(JsonNode json, int status, ProviderCall call);

  /**
   * Classifies a non-2xx answer from its status and error document ({@code json} is an empty
   * object when the body was not JSON). The message is read from the body by the caller.
   */
  protected abstract Failure classify(int status, JsonNode json, Optional<Duration> retryAfter);

  /** The status mapping every provider shares; {@code quota} says the body reports an exhausted quota. */
  protected static ErrorClass classOf(int status, boolean quota) {
    if (status == 401 || status == 403) {
      return ErrorClass.CREDENTIAL;
    }
    if (status == 429) {
      return quota ? ErrorClass.QUOTA : ErrorClass.RATE_LIMITED;
    }
    if (status == 402) {
      return ErrorClass.QUOTA;
    }
    if (status == 404 || status == 405) {
      // no such endpoint or model there (405: a path that exists but takes no POST, such as a
      // web page): the deployment is misconfigured, not the request
      return ErrorClass.DEPLOYMENT_FAULT;
    }
    if (status == 408 || status == 409 || status >= 500) {
      return ErrorClass.TRANSIENT;
    }
    return ErrorClass.CALLER_FAULT;
  }

  /**
   * A 2xx answer that holds no completion ({@code what} says what was missing): TRANSIENT, so
   * the call is retried and then falls back like any provider fault. An {@code error} the
   * document carries anyway (some gateways answer errors with a 200) is quoted.
   */
  protected ProviderException noCompletion(int status, JsonNode json, String what) {
    String said = json.has("error") ? errors.read(null, json) : null;
    return new ProviderException(ErrorClass.TRANSIENT, name + " answered " + status + " without a completion: " + what
        + (said == null ? "" : ": " + said), status, null, null);
  }

  private ProviderException failure(int status, JsonNode json, byte[] body, Optional<Duration> retryAfter, URI called) {
    Failure f = classify(status, json == null ? JSON.createObjectNode() : json, retryAfter);
    String message = errors.read(body, json);
    String text = name + " " + status + (f.code() == null ? "" : " " + f.code()) + ": "
        + (message == null ? "(no message)" : message)
        + (f.errorClass() == ErrorClass.DEPLOYMENT_FAULT ? " (called " + shown(called) + ")" : "");
    return new ProviderException(f.errorClass(), text, status, f.code(), f.retryAfter().orElse(null));
  }

  private ProviderReply estimateMissingUsage(ProviderCall call, ProviderReply reply) {
    ProviderReply counted = UsageEstimator.complete(call, reply);
    if (counted != reply && warnedEstimate.compareAndSet(false, true)) {
      log.warn("provider '{}' answered model '{}' without token usage: tokens are estimated and marked so", name,
          call.model());
    }
    return counted;
  }

  /** The URL as safe to show: scheme, host, port and path; user info and query may hold credentials. */
  private String shown(URI uri) {
    String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
    return errors.scrub(uri.getScheme() + "://" + uri.getHost() + port + (uri.getRawPath() == null ? "" : uri.getRawPath()));
  }

  protected static String text(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  protected static int count(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v == null || !v.canConvertToInt() ? 0 : v.asInt();
  }

  /** The value, or a caller fault saying what is missing. */
  protected static String required(String value, String problem) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(problem);
    }
    return value;
  }

  /** Parses a JSON object given as text (tool arguments, schemas); a caller fault when it is not one. */
  protected static JsonNode parseObject(String text, String what) {
    try {
      JsonNode node = JSON.readTree(text);
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException(what + " is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is not valid JSON");
    }
  }

  private Optional<Duration> retryAfter(HttpHeaders headers) {
    Optional<String> ms = headers.firstValue("retry-after-ms");
    if (ms.isPresent()) {
      try {
        return Optional.of(Duration.ofMillis((long) Double.parseDouble(ms.get().trim())));
      } catch (NumberFormatException ignored) {
        // fall through to Retry-After
      }
    }
    Optional<String> value = headers.firstValue("retry-after");
    if (value.isEmpty()) {
      return Optional.empty();
    }
    String v = value.get().trim();
    try {
      return Optional.of(Duration.ofMillis((long) (Double.parseDouble(v) * 1000)));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        long millis = at.toInstant().toEpochMilli() - clock.millis();
        return Optional.of(Duration.ofMillis(Math.max(0, millis)));
      } catch (RuntimeException notADate) {
        return Optional.empty();
      }
    }
  }

  private ProviderException transportFailure(Throwable error, URI called) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (cause instanceof HttpConnectTimeoutException) {
      return new ProviderException(ErrorClass.TRANSIENT, name + ": connect to " + shown(called) + " timed out");
    }
    if (cause instanceof HttpTimeoutException) {
      return new ProviderException(ErrorClass.TIMEOUT, name + ": no answer in time");
    }
    if (cause instanceof IOException) {
      return new ProviderException(ErrorClass.TRANSIENT, name + ": connection to " + shown(called) + " failed: "
          + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + errors.scrub(cause.getMessage())));
    }
    return ProviderException.of(cause);
  }

  private static JsonNode readJson(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
