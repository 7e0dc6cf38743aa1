package io.llmbroker.client;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends LLM requests to the broker and hands back each reply as a {@link CompletableFuture}.
 *
 * <pre>
 * try (LlmBrokerClient client = LlmBrokerClient.create(ClientConfig.of("kafka:9092", "checkout"))) {
 *   LlmResponse r = client.request().model("fast").team("payments").app("checkout")
 *       .user("Summarise this order").submit().get();
 * }
 * </pre>
 *
 * <p><b>Reply layout.</b> Every instance of a service shares one reply topic,
 * {@code llm.responses.<service>}, which the client creates when missing. Each instance reads
 * <em>all</em> of its partitions by assignment (no consumer group, nothing committed) starting
 * at the end, and completes only the futures it holds; replies of other instances are skipped.
 * This trades some extra reading (every instance sees every reply of its service) for three
 * guarantees: no rebalance can leave a reply unread; a request is sent only after the start
 * positions are fixed, so its reply cannot be missed; and a restarted instance starts at the end
 * again, so old replies never reach new futures. Give services with very many instances or very
 * high reply volume distinct service names.
 *
 * <p><b>Completion.</b> A future completes exactly once: with the first reply (duplicates are
 * dropped), with {@link RequestTimeoutException} when the request's timeout passes (a reply
 * arriving later is dropped with a debug log), with {@link EnqueueException} when Kafka refuses
 * the request, or with {@link ClientClosedException} when the client closes first. A client
 * whose broker is down never blocks the caller: its futures time out, and the exception says the
 * broker was not reached. Replies with a non-OK status complete the future normally; inspect
 * {@link LlmResponse#getStatus()}.
 *
 * <p><b>Threads.</b> Futures complete on the client's callback executor (see
 * {@link #create(ClientConfig, Clock)}), never on the thread that reads replies nor on Kafka's
 * producer thread, so a stage chained without an executor, even one that blocks, cannot delay
 * other replies. {@link #close()} fails the remaining futures on the closing thread.
 *
 * <p>Thread-safe: one client per process serves any number of concurrent requests.
 */
public final class LlmBrokerClient implements AutoCloseable {

  private final ClientConfig config;
  private final Clock clock;
  private final Topics topics;
  private final KafkaProducer<String, LlmRequest> producer;
  private final PendingReplies pending;
  private final ReplyListener listener;
  private final Executor callbacks;
  private final ExecutorService ownedCallbacks;
  private final Queue<EarlySend> early = new ConcurrentLinkedQueue<>();
  private final Optional<RequestSigner> signer;
  private volatile boolean closed;

  private LlmBrokerClient(ClientConfig config, Clock clock, Executor callbacks, ExecutorService ownedCallbacks) {
    this.config = config;
    this.clock = clock;
    this.callbacks = callbacks;
    this.ownedCallbacks = ownedCallbacks;
    this.topics = config.topics();
    this.signer = config.signer();
    Map<String, Object> kafkaProps = config.kafkaProperties();
    AvroSerdes serdes = AvroSerdes.fromConfig(kafkaProps);
    Map<String, Object> producerProps = new HashMap<>(kafkaProps);
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producerProps.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(config.defaultTimeout().toMillis()));
    // A caller waits on each request: send it now rather than wait up to Kafka's default 5 ms for company.
    producerProps.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
    this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), serdes.serde(LlmRequest.class).serializer());
    Topic<LlmResponse> replyTopic = topics.responses(config.service());
    this.pending = new PendingReplies(this::timeoutReason, callbacks);
    this.listener = new ReplyListener(replyTopic, kafkaProps, config.createReplyTopic(),
        serdes.serde(LlmResponse.class).deserializer(), pending);
    // Requests submitted before the listener is ready go out from the callback executor: a send
    // can block (metadata, a full buffer) and must never hold up the listener.
    listener.ready().whenCompleteAsync((v, e) -> sendEarly(), callbacks);
    listener.start();
  }

  /** Starts a client; it connects in the background and never blocks here. */
  public static LlmBrokerClient create(ClientConfig config) {
    return create(config, Clock.systemUTC());
  }

  /**
   * A client whose futures complete on a pool of its own: daemon threads, created as needed so
   * that callers blocking in dependent stages never starve the others, idle ones ending after a
   * minute, shut down by {@link #close()}.
   *
   * @param clock stamps created_at and computes deadlines
   */
  public static LlmBrokerClient create(ClientConfig config, Clock clock) {
    ExecutorService pool = Executors.newCachedThreadPool(new CallbackThreads());
    return new LlmBrokerClient(Objects.requireNonNull(config, "config"), Objects.requireNonNull(clock, "clock"), pool, pool);
  }

  /**
   * A client whose futures complete on {@code callbacks}, which the caller owns and shuts down
   * after {@link #close()}. An executor with few threads is stalled by callers that block in
   * dependent stages.
   *
   * @param clock stamps created_at and computes deadlines
   */
  public static LlmBrokerClient create(ClientConfig config, Clock clock, Executor callbacks) {
    return new LlmBrokerClient(Objects.requireNonNull(config, "config"), Objects.requireNonNull(clock, "clock"),
        Objects.requireNonNull(callbacks, "callbacks"), null);
  }

  /** A client with default settings for the given address and service name. */
  public static LlmBrokerClient connect(String bootstrapServers, String service) {
    return create(ClientConfig.of(bootstrapServers, service));
  }

  /** A new request with reply_to, team, app and timeout taken from this client's config. */
  public RequestBuilder request() {
    return new RequestBuilder(clock, this::submit)
        .replyTo(config.service())
        .team(config.team())
        .app(config.app())
        .timeout(config.defaultTimeout());
  }

  /**
   * Sends the request to the topic of its priority and returns its reply. Never blocks.
   *
   * @return a future completed once, as described in the class documentation
   * @throws IllegalArgumentException when the request's reply_to is not this client's service, or
   *     a request with the same id is already waiting
   */
  public CompletableFuture<LlmResponse> submit(BrokerRequest request) {
    if (!config.service().equals(request.request().getReplyTo())) {
      throw new IllegalArgumentException("reply_to '" + request.request().getReplyTo()
          + "' is not this client's service '" + config.service() + "': its reply would never arrive here");
    }
    if (closed) {
      return CompletableFuture.failedFuture(new ClientClosedException("the client is closed; request " + request.id() + " was not sent"));
    }
    PendingReplies.Pending p = pending.register(request.id(), request.timeout());
    CompletableFuture<Void> ready = listener.ready();
    if (ready.isDone() && !ready.isCompletedExceptionally()) {
      send(request);
    } else {
      early.add(new EarlySend(request, p));
      // Readiness may have come between the check and the add, after the early sends went out.
      if (ready.isDone()) {
        sendEarly();
      }
    }
    return p.future;
  }

  /** Sends, or fails when the listener failed, the requests submitted before it was ready. */
  private void sendEarly() {
    CompletableFuture<Void> ready = listener.ready();
    EarlySend next;
    while ((next = early.poll()) != null) {
      String id = next.request().id();
      if (ready.isCompletedExceptionally()) {
        Throwable cause = ready.handle((v, e) -> e).join();
        pending.fail(id, new EnqueueException("the reply listener failed, request " + id + " was not sent", cause));
      } else if (!next.pending().future.isDone()) {
        send(next.request());
      }
    }
  }

  /** A request submitted before the client was ready, with the future it answers. */
  private record EarlySend(BrokerRequest request, PendingReplies.Pending pending) {}

  /** Completes, on the callback executor, when the client can send: its reply topic is being read. */
  public CompletableFuture<Void> ready() {
    return listener.ready().whenCompleteAsync((v, e) -> { }, callbacks);
  }

  /** How many requests wait for their reply. */
  public int pendingCount() {
    return pending.size();
  }

  public ClientConfig config() {
    return config;
  }

  private void send(BrokerRequest request) {
    String id = request.id();
    String topic = topics.requests(request.priority()).name();
    LlmRequest value = signer.map(s -> s.sign(request.request(), topic)).orElse(request.request());
    ProducerRecord<String, LlmRequest> record = new ProducerRecord<>(topic, id, value);
    try {
      producer.send(record, (metadata, error) -> {
        if (error != null) {
          pending.fail(id, new EnqueueException("Kafka did not accept request " + id + ": " + error.getMessage(), error));
        } else {
          pending.markEnqueued(id);
        }
      });
    } catch (RuntimeException e) {
      pending.fail(id, new EnqueueException("cannot send request " + id + ": " + e.getMessage(), e));
    }
  }

  private String timeoutReason(PendingReplies.Pending p) {
    if (!listener.ready().isDone()) {
      return "the client has not reached Kafka at " + config.bootstrapServers() + " yet"
          + listener.lastError().map(e -> " (" + e + ")").orElse("");
    }
    if (!p.enqueued) {
      return "the request was not acknowledged by Kafka at " + config.bootstrapServers();
    }
    return "the request was enqueued but no worker answered in time";
  }

  /**
   * Stops reading replies, fails every waiting future with {@link ClientClosedException}, and
   * flushes requests already handed to Kafka.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    listener.close();
    pending.failAll(id -> new ClientClosedException("the client was closed before a reply to request " + id + " arrived"));
    producer.close(Duration.ofSeconds(5));
    pending.close();
    if (ownedCallbacks != null) {
      ownedCallbacks.shutdown();
    }
  }

  /** Names the callback threads and keeps them from holding the JVM open. */
  private static final class CallbackThreads implements ThreadFactory {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "llm-broker-client-callbacks-" + next.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }
}
