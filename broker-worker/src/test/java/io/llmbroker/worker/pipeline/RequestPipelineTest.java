package io.llmbroker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.runtime.apps.AppLookup;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.runtime.topics.ReplyTopics;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import io.llmbroker.worker.budgets.BudgetGuard;
import io.llmbroker.worker.budgets.BudgetView;
import io.llmbroker.worker.intake.RecordWork;
import io.llmbroker.worker.ops.WorkerMetrics;
import io.llmbroker.worker.policy.RequestPolicy;
import io.llmbroker.worker.pricing.PriceTable;
import io.llmbroker.worker.publishing.OutputPublisher;
import io.llmbroker.worker.routing.CallOutcome;
import io.llmbroker.worker.routing.CallRouter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A withdraw racing the pipeline's next step on another thread. Decode retries run when the test
 * says so, and the decoder withdraws the work from inside the retry: exactly between the retry's
 * "still wanted?" check and the request reaching the router or the publisher.
 */
class RequestPipelineTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  private final KafkaFixture kafka = KafkaFixture.get();
  private final Topics topics = KafkaFixture.isolatedTopics(1);
  private final AvroSerdes serdes = AvroSerdes.singleObject();
  private final WorkerMetrics metrics = new WorkerMetrics(new SimpleMeterRegistry());
  private final RecordingRouter router = new RecordingRouter();
  private final Queue<Runnable> decodeRetries = new ArrayDeque<>();
  private Admin admin;
  private OutputPublisher publisher;

  @BeforeEach
  void startPublisher() {
    kafka.createTopics(List.of(topics.responses("svc"), topics.usage(), topics.audit(), topics.dlq()));
    admin = kafka.admin();
    Properties props = kafka.clientProperties();
    publisher = new OutputPublisher(new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()),
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()), topics, serdes,
        new ReplyTopics(admin, Optional.of((short) 1)), Backoff.exponential(Duration.ofMillis(10), Duration.ofMillis(50)),
        2, metrics);
  }

  @AfterEach
  void close() {
    publisher.close();
    admin.close();
  }

  @Test
  void aWithdrawDuringADecodeRetryBeforeRoutingMakesNoRouterCallAndPublishesNothing() throws Exception {
    AtomicReference<RecordWork> work = new AtomicReference<>();
    AtomicBoolean withdrawn = new AtomicBoolean();
    RequestPipeline pipeline = pipeline(() -> withdrawn.set(work.get().withdraw()));
    work.set(pipeline.handle(record(request("r-1", "fast")), Priority.STANDARD, CLOCK.millis()));
    assertThat(decodeRetries).as("a decode retry waits").hasSize(1);

    decodeRetries.remove().run();

    assertThat(withdrawn).isTrue();
    assertThat(work.get().done()).isCancelled();
    assertThat(router.calls).isEmpty();
    assertThat(publishedOutputs()).isZero();
  }

  @Test
  void aWithdrawDuringADecodeRetryBeforeARefusalPublishesNothing() throws Exception {
    AtomicReference<RecordWork> work = new AtomicReference<>();
    AtomicBoolean withdrawn = new AtomicBoolean();
    RequestPipeline pipeline = pipeline(() -> withdrawn.set(work.get().withdraw()));
    work.set(pipeline.handle(record(request("r-2", "no-such-model")), Priority.STANDARD, CLOCK.millis()));

    decodeRetries.remove().run();

    assertThat(withdrawn).isTrue();
    assertThat(work.get().done()).isCancelled();
    assertThat(metrics.answeredCount(ResponseStatus.INVALID)).isZero();
    assertThat(publishedOutputs()).isZero();
  }

  @Test
  void aWithdrawWhileTheRouterHoldsTheRequestHandsItBackThroughTheRouter() throws Exception {
    RequestPipeline pipeline = pipeline(() -> { });
    RecordWork work = pipeline.handle(record(request("r-3", "fast")), Priority.STANDARD, CLOCK.millis());
    decodeRetries.remove().run();
    assertThat(router.calls).extracting(LlmRequest::getId).containsExactly("r-3");

    boolean withdrawn = work.withdraw();

    assertThat(withdrawn).isTrue();
    assertThat(router.withdrawn).containsExactly(router.calls.get(0).getId());
    assertThat(work.done()).isCancelled();
    assertThat(metrics.inFlight()).hasValue(0);
    assertThat(publishedOutputs()).isZero();
  }

  /** A pipeline whose decoder fails once as if the schema registry were unreachable, then runs {@code onRetry} and decodes. */
  private RequestPipeline pipeline(Runnable onRetry) {
    Deserializer<LlmRequest> real = serdes.serde(LlmRequest.class).deserializer();
    AtomicInteger attempts = new AtomicInteger();
    Deserializer<LlmRequest> decoder = (topic, bytes) -> {
      if (attempts.incrementAndGet() == 1) {
        throw new SerializationException("schema registry unreachable", new SocketException("Connection refused"));
      }
      onRetry.run();
      return real.deserialize(topic, bytes);
    };
    RequestValidator validator = new RequestValidator(Pattern.compile("[a-z]+"), "{app}", app -> false, 100_000,
        model -> model.equals("fast") ? Optional.empty() : Optional.of("unknown model: '" + model + "'"));
    RequestPolicy policy = new RequestPolicy(AppLookup.of(Map.of()), false, false, Duration.ofMinutes(5), CLOCK);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    BudgetGuard noBudgets = new BudgetGuard(BudgetView.of(List.of(), Map.of()), List::of, new PriceTable(Map.of(), meters),
        100, CLOCK, meters);
    return new RequestPipeline(decoder, validator, policy, noBudgets, Runnable::run, router, publisher, metrics, CLOCK,
        "w-test", backoff -> decodeRetries::add);
  }

  private ConsumerRecord<byte[], byte[]> record(LlmRequest request) {
    String topic = topics.requests(Priority.STANDARD).name();
    byte[] value = serdes.serde(LlmRequest.class).serializer().serialize(topic, request);
    return new ConsumerRecord<>(topic, 0, 0L, request.getId().getBytes(StandardCharsets.UTF_8), value);
  }

  private static LlmRequest request(String id, String model) {
    return LlmRequest.newBuilder()
        .setId(id).setTeam("search").setApp("ranker").setModel(model).setReplyTo("svc").setCreatedAt(CLOCK.millis())
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user")
            .setContent(List.of(ContentPart.newBuilder().setText("hi").build())).build()))
        .build();
  }

  /** Records on every output topic once everything sent is flushed. */
  private long publishedOutputs() throws InterruptedException, ExecutionException {
    publisher.close();
    long count = 0;
    for (Topic<?> topic : List.of(topics.responses("svc"), topics.usage(), topics.audit(), topics.dlq())) {
      TopicPartition partition = new TopicPartition(topic.name(), 0);
      count += admin.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get().get(partition).offset();
    }
    return count;
  }

  /** Holds every call until withdrawn; makes no provider call. */
  private static final class RecordingRouter implements CallRouter {
    final List<LlmRequest> calls = new CopyOnWriteArrayList<>();
    final List<String> withdrawn = new CopyOnWriteArrayList<>();
    private final Map<CompletableFuture<CallOutcome>, String> ids = new ConcurrentHashMap<>();

    @Override
    public Optional<String> routeProblem(String model) {
      return Optional.empty();
    }

    @Override
    public CompletableFuture<CallOutcome> call(LlmRequest request, Priority priority, long deadlineMillis) {
      calls.add(request);
      CompletableFuture<CallOutcome> call = new CompletableFuture<>();
      ids.put(call, request.getId());
      return call;
    }

    @Override
    public boolean withdraw(CompletableFuture<CallOutcome> call) {
      withdrawn.add(ids.get(call));
      return call.cancel(false);
    }

    @Override
    public boolean withinShares() {
      return true;
    }

    @Override
    public void assign(Set<Integer> partitionIndices, int totalPartitions) {
    }

    @Override
    public void close() {
    }
  }
}
