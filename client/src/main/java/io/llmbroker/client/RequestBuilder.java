package io.llmbroker.client;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.TraceContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Fluent builder of one request. Obtain one from {@link LlmBrokerClient#request()} (which
 * pre-fills reply_to, team, app and timeout from the client's config) or {@link #create(Clock)}.
 * Not thread-safe: build a request on one thread, then submit it from any.
 *
 * <p>Unless set, the id is a random UUID, the priority {@code STANDARD}, and the deadline the
 * creation time plus the timeout, so that a worker never spends money on an answer nobody waits for.
 */
public final class RequestBuilder {

  private final Clock clock;
  private final Function<BrokerRequest, CompletableFuture<LlmResponse>> submitter;
  private String id;
  private String team;
  private String app;
  private String customer;
  private final Map<String, String> tags = new LinkedHashMap<>();
  private String model;
  private final List<ChatMessage> messages = new ArrayList<>();
  private final GenerationParams.Builder params = GenerationParams.newBuilder();
  private String replyTo;
  private Priority priority = Priority.STANDARD;
  private Instant deadline;
  private Duration timeout;
  private String batchId;
  private String customId;
  private TraceContext trace;

  RequestBuilder(Clock clock, Function<BrokerRequest, CompletableFuture<LlmResponse>> submitter) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.submitter = submitter;
  }

  /** A builder not tied to a client: {@link #build()} works, {@link #submit()} does not. */
  public static RequestBuilder create(Clock clock) {
    return new RequestBuilder(clock, null);
  }

  /** The idempotency key; a random UUID when not set. */
  public RequestBuilder id(String requestId) {
    this.id = requestId;
    return this;
  }

  public RequestBuilder team(String value) {
    this.team = value;
    return this;
  }

  public RequestBuilder app(String value) {
    this.app = value;
    return this;
  }

  public RequestBuilder customer(String value) {
    this.customer = value;
    return this;
  }

  public RequestBuilder tag(String key, String value) {
    tags.put(Objects.requireNonNull(key, "tag key"), Objects.requireNonNull(value, "tag value"));
    return this;
  }

  public RequestBuilder tags(Map<String, String> values) {
    values.forEach(this::tag);
    return this;
  }

  /** A model alias of the worker's routing table ({@code fast}) or {@code provider/model}. */
  public RequestBuilder model(String value) {
    this.model = value;
    return this;
  }

  public RequestBuilder system(String text) {
    return message("system", text);
  }

  public RequestBuilder user(String text) {
    return message("user", text);
  }

  public RequestBuilder assistant(String text) {
    return message("assistant", text);
  }

  /** Appends a text message with the given role. */
  public RequestBuilder message(String role, String text) {
    ContentPart part = ContentPart.newBuilder().setType("text").setText(Objects.requireNonNull(text, "text")).build();
    return message(ChatMessage.newBuilder().setRole(role).setContent(List.of(part)).build());
  }

  public RequestBuilder message(ChatMessage message) {
    messages.add(Objects.requireNonNull(message, "message"));
    return this;
  }

  public RequestBuilder messages(List<ChatMessage> values) {
    values.forEach(this::message);
    return this;
  }

  public RequestBuilder temperature(float value) {
    params.setTemperature(value);
    return this;
  }

  public RequestBuilder maxTokens(int value) {
    params.setMaxTokens(value);
    return this;
  }

  /** Replaces every generation parameter at once. */
  public RequestBuilder params(GenerationParams value) {
    GenerationParams p = Objects.requireNonNull(value, "params");
    params.setTemperature(p.getTemperature()).setTopP(p.getTopP()).setMaxTokens(p.getMaxTokens())
        .setStop(p.getStop()).setSeed(p.getSeed()).setPresencePenalty(p.getPresencePenalty())
        .setFrequencyPenalty(p.getFrequencyPenalty()).setResponseFormat(p.getResponseFormat())
        .setTools(p.getTools()).setToolChoice(p.getToolChoice());
    return this;
  }

  public RequestBuilder priority(Priority value) {
    this.priority = Objects.requireNonNull(value, "priority");
    return this;
  }

  /** The instant after which the answer is worthless; the worker answers EXPIRED past it. */
  public RequestBuilder deadline(Instant value) {
    this.deadline = value;
    return this;
  }

  /** How long {@code submit} waits for the reply. */
  public RequestBuilder timeout(Duration value) {
    this.timeout = value;
    return this;
  }

  /** The service whose reply topic receives the answer. */
  public RequestBuilder replyTo(String service) {
    this.replyTo = service;
    return this;
  }

  public RequestBuilder batch(String batch, String custom) {
    this.batchId = batch;
    this.customId = custom;
    return this;
  }

  /** W3C trace context to propagate, e.g. the caller's current span. */
  public RequestBuilder trace(String traceparent, String tracestate) {
    this.trace = TraceContext.newBuilder().setTraceparent(traceparent).setTracestate(tracestate).build();
    return this;
  }

  /**
   * @throws IllegalArgumentException naming the first missing field (model, team, app, messages,
   *     reply_to, timeout)
   */
  public BrokerRequest build() {
    require(model, "model");
    require(team, "team");
    require(app, "app");
    require(replyTo, "reply_to");
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a request needs at least one message");
    }
    if (timeout == null) {
      throw new IllegalArgumentException("timeout is not set");
    }
    long now = clock.millis();
    Long deadlineMillis = deadline != null ? deadline.toEpochMilli() : now + timeout.toMillis();
    LlmRequest request = LlmRequest.newBuilder()
        .setId(id != null ? id : UUID.randomUUID().toString())
        .setTeam(team)
        .setApp(app)
        .setCustomer(customer)
        .setTags(new LinkedHashMap<>(tags))
        .setModel(model)
        .setMessages(List.copyOf(messages))
        .setParams(params.build())
        .setReplyTo(replyTo)
        .setCreatedAt(now)
        .setDeadline(deadlineMillis)
        .setBatchId(batchId)
        .setCustomId(customId)
        .setTrace(trace)
        .build();
    return new BrokerRequest(request, priority, timeout);
  }

  /**
   * Builds and submits through the client that made this builder.
   *
   * @throws IllegalStateException when the builder came from {@link #create(Clock)}
   */
  public CompletableFuture<LlmResponse> submit() {
    if (submitter == null) {
      throw new IllegalStateException("this builder has no client; use LlmBrokerClient.request()");
    }
    return submitter.apply(build());
  }

  private static void require(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank: '" + value + "'");
    }
  }
}
