package io.llmbroker.client;

import org.awaitility.Awaitility;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LlmBrokerClientTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final KafkaFixture kafka = KafkaFixture.get();
  private Topics topics;
  private TestResponder responder;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void startResponder() {
    topics = KafkaFixture.isolatedTopics(3);
    kafka.createTopics(List.copyOf(topics.requestTopics()));
    responder = new TestResponder(kafka.bootstrapServers(), topics);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    responder.close();
  }

  @Test
  void aSubmittedRequestCompletesWithItsReply() throws Exception {
    LlmBrokerClient client = client("checkout", Duration.ofSeconds(30));

    LlmResponse reply = client.request().model("fast").team("payments").app("checkout")
        .priority(Priority.INTERACTIVE).user("hello").submit().get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(reply.getStatus()).isEqualTo(ResponseStatus.OK);
    assertThat(reply.getContent()).isEqualTo("echo: hello");
    assertThat(reply.getPriority()).isEqualTo(Priority.INTERACTIVE);
    assertThat(client.pendingCount()).isZero();
  }

  @Test
  void manyThreadsShareOneClientAndEachGetsItsOwnReply() throws Exception {
    LlmBrokerClient client = client("busy", Duration.ofSeconds(30));
    ExecutorService callers = Executors.newFixedThreadPool(8);

    List<CompletableFuture<LlmResponse>> replies = IntStream.range(0, 400)
        .mapToObj(i -> CompletableFuture.supplyAsync(
            () -> client.request().model("fast").team("t").app("a").user("prompt " + i).submit(), callers)
            .thenCompose(f -> f))
        .toList();
    CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    callers.shutdown();

    assertThat(replies).extracting(f -> f.join().getContent())
        .containsExactlyElementsOf(IntStream.range(0, 400).mapToObj(i -> "echo: prompt " + i).toList());
  }

  @Test
  void aRequestSentTheMomentTheClientIsCreatedIsNotMissed() throws Exception {
    LlmBrokerClient client = client("eager", Duration.ofSeconds(30));

    CompletableFuture<LlmResponse> reply = client.request().model("fast").team("t").app("a").user("first").submit();

    assertThat(reply.get(WAIT.toSeconds(), TimeUnit.SECONDS).getContent()).isEqualTo("echo: first");
  }

  @Test
  void aCallerBlockingInsideAStageOfOneReplyDoesNotStopOtherRepliesFromCompleting() throws Exception {
    LlmBrokerClient client = client("blocking", Duration.ofSeconds(30));
    client.ready().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    responder.hold(true);
    CountDownLatch unblock = new CountDownLatch(1);
    CompletableFuture<LlmResponse> first = client.request().model("fast").team("t").app("a").user("first").submit();
    CompletableFuture<String> blocked = first.thenApply(r -> {
      awaitUninterruptibly(unblock);
      return r.getContent();
    });
    awaitCondition(() -> responder.heldCount() == 1);
    responder.release();
    responder.hold(false);
    awaitCondition(first::isDone);

    LlmResponse second = client.request().model("fast").team("t").app("a").user("second").submit()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(second.getContent()).isEqualTo("echo: second");
    assertThat(blocked).isNotDone();
    unblock.countDown();
    assertThat(blocked.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo: first");
  }

  @Test
  void aRequestSentBeforeTheClientIsReadyNeverBlocksTheReplyListener() throws Exception {
    String service = "early-blocked";
    BlockingSends.block("early-1");
    // Without its reply topic the client cannot be ready, so the first request must wait to be sent.
    LlmBrokerClient client = LlmBrokerClient.create(new ClientConfig(kafka.bootstrapServers(), service, null, null,
        Duration.ofSeconds(60), topics.prefix(), false,
        Map.of(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, BlockingSends.class.getName()), null, null));
    toClose.add(0, BlockingSends::release);
    toClose.add(client);
    CompletableFuture<LlmResponse> early = client.request().id("early-1").model("fast").team("t").app("a").user("early").submit();
    kafka.createTopics(List.of(topics.responses(service)));
    client.ready().get(WAIT.toSeconds(), TimeUnit.SECONDS);

    LlmResponse other = client.request().model("fast").team("t").app("a").user("other").submit()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(other.getContent()).isEqualTo("echo: other");
    assertThat(early).isNotDone();
    BlockingSends.release();
    assertThat(early.get(WAIT.toSeconds(), TimeUnit.SECONDS).getContent()).isEqualTo("echo: early");
  }

  @Test
  void duplicateRepliesCompleteTheFutureOnlyOnce() throws Exception {
    responder.duplicate(true);
    LlmBrokerClient client = client("dupes", Duration.ofSeconds(30));

    LlmResponse first = client.request().id("dup-1").model("fast").team("t").app("a").user("one").submit()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    LlmResponse second = client.request().id("dup-2").model("fast").team("t").app("a").user("two").submit()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(first.getContent()).isEqualTo("echo: one");
    assertThat(second.getContent()).isEqualTo("echo: two");
    assertThat(client.pendingCount()).isZero();
  }

  @Test
  void aReplyArrivingAfterTheTimeoutIsDroppedAndTheFutureFailsWithATimeout() throws Exception {
    responder.hold(true);
    LlmBrokerClient client = client("slow", Duration.ofSeconds(30));
    client.ready().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    CompletableFuture<LlmResponse> late = client.request().id("late-1").model("fast").team("t").app("a")
        .timeout(Duration.ofSeconds(1)).user("too slow").submit();

    assertThatThrownBy(() -> late.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RequestTimeoutException.class)
        .hasMessageContaining("late-1").hasMessageContaining("no worker answered");
    responder.release();
    responder.hold(false);
    LlmResponse next = client.request().model("fast").team("t").app("a").user("next").submit()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(next.getContent()).isEqualTo("echo: next");
    assertThat(late).isCompletedExceptionally();
    assertThat(client.pendingCount()).isZero();
  }

  @Test
  void closeFailsEveryPendingFutureWithAClearException() throws Exception {
    responder.hold(true);
    LlmBrokerClient client = client("closing", Duration.ofSeconds(60));
    List<CompletableFuture<LlmResponse>> waiting = IntStream.range(0, 3)
        .mapToObj(i -> client.request().model("fast").team("t").app("a").user("q" + i).submit()).toList();
    awaitCondition(() -> responder.heldCount() == 3);

    client.close();

    assertThat(waiting).allSatisfy(f -> assertThatThrownBy(f::join)
        .cause().isInstanceOf(ClientClosedException.class).hasMessageContaining("closed before a reply"));
    assertThatThrownBy(() -> client.request().model("fast").team("t").app("a").user("after").submit().join())
        .cause().isInstanceOf(ClientClosedException.class);
  }

  @Test
  void aRestartedServiceDoesNotReceiveRepliesMeantForItsPreviousLife() throws Exception {
    responder.hold(true);
    LlmBrokerClient before = client("restarts", Duration.ofSeconds(60));
    CompletableFuture<LlmResponse> old = before.request().id("same-id").model("fast").team("t").app("a").user("old prompt").submit();
    awaitCondition(() -> responder.heldCount() == 1);
    before.close();
    responder.release();
    responder.hold(false);
    awaitCondition(() -> replyTopicHolds("restarts", "same-id"));

    LlmBrokerClient after = client("restarts", Duration.ofSeconds(30));
    LlmResponse reply = after.request().id("same-id").model("fast").team("t").app("a").user("new prompt").submit()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(old).isCompletedExceptionally();
    assertThat(reply.getContent()).isEqualTo("echo: new prompt");
  }

  @Test
  void aClientPointedAtADownBrokerFailsItsFuturesWithinTheTimeout() {
    LlmBrokerClient client = LlmBrokerClient.create(ClientConfig.of("localhost:1", "nowhere")
        .withDefaultTimeout(Duration.ofSeconds(2)));
    toClose.add(client);

    CompletableFuture<LlmResponse> reply = client.request().model("fast").team("t").app("a").user("anyone?").submit();

    assertThatThrownBy(() -> reply.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .cause().isInstanceOf(RequestTimeoutException.class)
        .hasMessageContaining("has not reached Kafka at localhost:1");
  }

  @Test
  void aRequestForAnotherServiceIsRefused() {
    LlmBrokerClient client = client("mine", Duration.ofSeconds(5));
    BrokerRequest foreign = RequestBuilder.create(java.time.Clock.systemUTC()).replyTo("theirs").timeout(Duration.ofSeconds(5))
        .model("fast").team("t").app("a").user("x").build();

    assertThatThrownBy(() -> client.submit(foreign)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("theirs");
  }

  private LlmBrokerClient client(String service, Duration timeout) {
    LlmBrokerClient client = LlmBrokerClient.create(ClientConfig.of(kafka.bootstrapServers(), service)
        .withTopicPrefix(topics.prefix()).withDefaultTimeout(timeout));
    toClose.add(client);
    return client;
  }

  private boolean replyTopicHolds(String service, String requestId) {
    try (KafkaConsumer<String, LlmResponse> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.GROUP_ID_CONFIG, "probe-" + System.nanoTime()),
        new StringDeserializer(), AvroSerdes.singleObject().serde(LlmResponse.class).deserializer())) {
      c.subscribe(List.of(topics.responses(service).name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < deadline) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          if (r.key().equals(requestId)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void awaitCondition(BooleanSupplier condition) {
    Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
  }
}
