package io.llmbroker.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on 127.0.0.1 that answers like the model providers: OpenAI-compatible
 * {@code POST /v1/chat/completions}, Anthropic {@code POST /v1/messages} and Gemini
 * {@code POST /v1beta/models/{model}:generateContent}, with their documented success and error
 * documents and headers (see {@link FakeReply}). Any other path gets a 404 with an OpenAI-style
 * error document, as a base URL without its {@code /v1} does from a real server.
 *
 * <p>Scriptable per test: a default latency and a latency per model; a queue of scripted
 * replies per API served in order (e.g. a 429 with {@code Retry-After: 1}, then a 200), after
 * which every call gets a success echoing the model. It records every request (path, headers,
 * body) and the maximum and time-weighted average number of requests it was serving at once.
 *
 * <p>Each request is served on its own thread of a cached pool, so thousands of slow calls
 * can be open at once. Thread-safe.
 */
public final class FakeProviderServer implements AutoCloseable {

  /** The provider API a request was addressed to. */
  public enum Api { OPENAI, ANTHROPIC, GEMINI }

  /** One request as received. Header names are lower-case. */
  public record Received(Api api, String path, Map<String, List<String>> headers, String body) {

    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern GEMINI_PATH = Pattern.compile("/v1beta/models/([^/:]+):generateContent");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<Api, ArrayDeque<FakeReply>> scripts = new EnumMap<>(Api.class);
  private final Map<String, Duration> modelLatency = new ConcurrentHashMap<>();
  private final List<Received> received = new ArrayList<>();
  private volatile Duration latency = Duration.ZERO;

  private final Object stats = new Object();
  private int current;
  private int max;
  private double area;
  private long lastChange;
  private long statsStart;

  private FakeProviderServer() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-provider");
      t.setDaemon(true);
      return t;
    });
    for (Api api : Api.values()) {
      scripts.put(api, new ArrayDeque<>());
    }
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    resetStats();
  }

  /** Starts a server on a free loopback port. */
  public static FakeProviderServer start() {
    FakeProviderServer s = new FakeProviderServer();
    s.server.start();
    return s;
  }

  /** {@code http://127.0.0.1:port}: the base URL for Anthropic and Gemini adapters. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:port/v1}: the base URL for OpenAI-compatible adapters. */
  public String openAiBaseUrl() {
    return baseUrl() + "/v1";
  }

  /** Every call waits this long before answering (unless its model or reply says otherwise). */
  public FakeProviderServer latency(Duration d) {
    latency = d;
    return this;
  }

  /** Calls for {@code model} wait this long before answering. */
  public FakeProviderServer latency(String model, Duration d) {
    modelLatency.put(model, d);
    return this;
  }

  /** Queues replies that the next calls to {@code api} get, in order. */
  public FakeProviderServer enqueue(Api api, FakeReply... replies) {
    synchronized (scripts) {
      scripts.get(api).addAll(List.of(replies));
    }
    return this;
  }

  /** Every request received so far, in arrival order. */
  public List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** The most requests served at once since start or {@link #resetStats}. */
  public int maxConcurrency() {
    synchronized (stats) {
      return max;
    }
  }

  /** Requests being served right now. */
  public int inFlight() {
    synchronized (stats) {
      return current;
    }
  }

  /** The time-weighted mean of requests served at once since start or {@link #resetStats}. */
  public double averageConcurrency() {
    synchronized (stats) {
      long now = System.nanoTime();
      double total = area + (double) current * (now - lastChange);
      long span = now - statsStart;
      return span <= 0 ? 0 : total / span;
    }
  }

  /** Forgets the concurrency statistics and the recorded requests. */
  public void resetStats() {
    synchronized (stats) {
      statsStart = System.nanoTime();
      lastChange = statsStart;
      area = 0;
      max = current;
    }
    synchronized (received) {
      received.clear();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    enter();
    boolean counted = true;
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String body;
      try (InputStream in = exchange.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      Api api;
      String model;
      Matcher gemini = GEMINI_PATH.matcher(path);
      if (path.equals("/v1/chat/completions")) {
        api = Api.OPENAI;
        model = modelOf(body);
      } else if (path.equals("/v1/messages")) {
        api = Api.ANTHROPIC;
        model = modelOf(body);
      } else if (gemini.matches()) {
        api = Api.GEMINI;
        model = gemini.group(1);
      } else {
        respond(exchange, FakeReply.status(404, "{\"error\":{\"message\":\"no such endpoint: " + path + "\"}}"));
        return;
      }
      Map<String, List<String>> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
      synchronized (received) {
        received.add(new Received(api, path, headers, body));
      }
      FakeReply reply;
      synchronized (scripts) {
        reply = scripts.get(api).pollFirst();
      }
      if (reply == null) {
        reply = FakeReply.ok(api, "fake answer from " + model);
      }
      Duration wait = reply.delay() != null ? reply.delay() : modelLatency.getOrDefault(model == null ? "" : model, latency);
      if (!wait.isZero()) {
        try {
          Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      // The call is over for the provider once its answer is ready: counted until the bytes
      // are written, a caller's next call could overlap it by a few microseconds and read as one too many.
      leave();
      counted = false;
      respond(exchange, reply);
    } finally {
      if (counted) {
        leave();
      }
    }
  }

  private static void respond(HttpExchange exchange, FakeReply reply) throws IOException {
    byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "application/json");
    reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    try {
      exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (IOException clientGone) {
      // the caller timed out or cancelled; nothing left to tell it
    }
  }

  private static String modelOf(String body) {
    try {
      return JSON.readTree(body).path("model").asText(null);
    } catch (IOException e) {
      return null;
    }
  }

  private void enter() {
    synchronized (stats) {
      account();
      current++;
      max = Math.max(max, current);
    }
  }

  private void leave() {
    synchronized (stats) {
      account();
      current--;
    }
  }

  private void account() {
    long now = System.nanoTime();
    area += (double) current * (now - lastChange);
    lastChange = now;
  }
}
