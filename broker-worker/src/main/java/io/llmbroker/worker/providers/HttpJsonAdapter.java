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
import java.util.regex.Pattern;

/**
 * The shared half of every HTTP provider: builds one JSON POST, sends it with the JDK
 * {@link HttpClient} asynchronously (no thread waits on the provider), copies the W3C trace
 * context, and turns the answer into a {@link ProviderReply} or a classified
 * {@link ProviderException}. Subclasses only say where to send, how to authenticate, how to
 * shape the body and how to read the provider's documents.
 *
 * <p>Credentials: the key is added as a header and nowhere else; provider error messages are
 * scrubbed of the key and of anything shaped like one before they become exception messages.
 * Thread-safe.
 */
public abstract class HttpJsonAdapter implements ProviderAdapter {

  protected static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern KEY_LIKE = Pattern.compile("(sk-[A-Za-z0-9_*\\-]{6,}|AIza[0-9A-Za-z_\\-]{10,})");
  private static final int MAX_MESSAGE = 500;

  private final String name;
  private final HttpClient http;
  private final Clock clock;
  private final String secret;

  protected HttpJsonAdapter(String name, HttpClient http, Clock clock, String secret) {
    this.name = name;
    this.http = http;
    this.clock = clock;
    this.secret = secret;
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
          + scrub(e.getMessage())));
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
    exchange.whenComplete((response, error) -> {
      if (error != null) {
        reply.completeExceptionally(transportFailure(error));
        return;
      }
      try {
        JsonNode json = readJson(response.body());
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          if (json == null) {
            throw new ProviderException(ErrorClass.TRANSIENT, name + " answered " + status + " without a JSON body", status, null, null);
          }
          reply.complete(parse(json, status, call));
        } else {
          reply.completeExceptionally(failure(status, json == null ? JSON.createObjectNode() : json,
              retryAfter(response.headers())));
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

  /** Reads a 2xx document. */
  protected abstract ProviderReply parse(JsonNode json, int status, ProviderCall call);

  /** Classifies a non-2xx answer from its status and error document. */
  protected abstract ProviderException failure(int status, JsonNode json, Optional<Duration> retryAfter);

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
    if (status == 408 || status == 409 || status >= 500) {
      return ErrorClass.TRANSIENT;
    }
    return ErrorClass.CALLER_FAULT;
  }

  /** Builds the exception with a scrubbed, bounded message. */
  protected ProviderException error(ErrorClass errorClass, int status, String code, String message,
      Optional<Duration> retryAfter) {
    String text = name + " " + status + (code == null ? "" : " " + code) + ": " + scrub(message == null ? "(no message)" : message);
    return new ProviderException(errorClass, text, status, code, retryAfter.orElse(null));
  }

  /** Removes the key, and anything shaped like a key, from provider text. */
  protected final String scrub(String text) {
    if (text == null) {
      return null;
    }
    String out = secret == null || secret.isEmpty() ? text : text.replace(secret, "[redacted]");
    out = KEY_LIKE.matcher(out).replaceAll("[redacted]");
    return out.length() > MAX_MESSAGE ? out.substring(0, MAX_MESSAGE) + "..." : out;
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

  private ProviderException transportFailure(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (cause instanceof HttpConnectTimeoutException) {
      return new ProviderException(ErrorClass.TRANSIENT, name + ": connect timed out");
    }
    if (cause instanceof HttpTimeoutException) {
      return new ProviderException(ErrorClass.TIMEOUT, name + ": no answer in time");
    }
    if (cause instanceof IOException) {
      return new ProviderException(ErrorClass.TRANSIENT, name + ": connection failed: " + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : " " + scrub(cause.getMessage())));
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
