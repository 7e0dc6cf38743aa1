package io.llmbroker.client.batch;

import org.awaitility.Awaitility;
import static io.llmbroker.client.batch.BatchFileValidationTest.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.TestResponder;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches against the real broker, with {@link TestResponder} playing the worker. */
class BatchRoundTripTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private final KafkaFixture kafka = KafkaFixture.get();
  private Topics topics;
  private ClientConfig config;
  private TestResponder responder;

  @BeforeEach
  void start() {
    topics = KafkaFixture.isolatedTopics(3);
    kafka.createTopics(List.copyOf(topics.requestTopics()));
    config = ClientConfig.of(kafka.bootstrapServers(), "unused").withTopicPrefix(topics.prefix());
    responder = new TestResponder(kafka.bootstrapServers(), topics);
  }

  @AfterEach
  void stop() {
    responder.close();
  }

  @Test
  void aSubmittedFileYieldsOneResultLinePerInputLineInInputOrder() throws Exception {
    List<String> input = new ArrayList<>(IntStream.rangeClosed(1, 300).mapToObj(i -> line("row-" + i, "prompt " + i)).toList());
    input.set(41, line("row-42", "please fail"));
    Path file = Files.write(dir.resolve("in.jsonl"), input);
    BatchOptions options = options(new BatchId("order"));

    BatchSubmitter.SubmitReport report = submit(file, options, false);
    BatchStatus status;
    try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
      status = collector.awaitAll(WAIT, ProgressListener.NONE);
      collector.writeResults(dir.resolve("out.jsonl"), dir.resolve("errors.jsonl"), ProgressListener.NONE);
    }

    assertThat(report.enqueued()).isEqualTo(300);
    assertThat(status.complete()).isTrue();
    assertThat(status.byStatus()).containsEntry("OK", 299L).containsEntry("ERROR", 1L);
    assertThat(status.costMicros()).isEqualTo(299 * TestResponder.COST_MICROS);
    List<JsonNode> out = readJsonl(dir.resolve("out.jsonl"));
    assertThat(out).extracting(n -> n.path("custom_id").asText())
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 300).mapToObj(i -> "row-" + i).toList());
    assertThat(out.get(0).path("response").path("body").path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("echo: prompt 1");
    assertThat(readJsonl(dir.resolve("errors.jsonl"))).extracting(n -> n.path("custom_id").asText()).containsExactly("row-42");
  }

  @Test
  void reSubmittingTheSameFileUnderTheSameBatchIdEnqueuesNothingTwice() throws Exception {
    Path file = Files.write(dir.resolve("in.jsonl"), IntStream.rangeClosed(1, 50).mapToObj(i -> line("r" + i, "p" + i)).toList());
    BatchOptions options = options(new BatchId("again"));
    submit(file, options, false);
    awaitSeen(50);

    BatchSubmitter.SubmitReport second = submit(file, options, false);

    assertThat(second.enqueued()).isZero();
    assertThat(second.alreadyEnqueued()).isEqualTo(50);
  }

  @Test
  void aDifferentFileUnderAnExistingBatchIdIsRefused() throws Exception {
    Path first = Files.write(dir.resolve("a.jsonl"), List.of(line("r1", "p1")));
    Path other = Files.write(dir.resolve("b.jsonl"), List.of(line("r1", "changed")));
    BatchOptions options = options(new BatchId("guarded"));
    submit(first, options, false);

    assertThatThrownBy(() -> submit(other, options, false))
        .isInstanceOf(BatchException.class).hasMessageContaining("use a new batch id");
  }

  @Test
  void reRunningResultsCollectsWhatWasMissing() throws Exception {
    responder.hold(true);
    Path file = Files.write(dir.resolve("in.jsonl"), IntStream.rangeClosed(1, 20).mapToObj(i -> line("r" + i, "p" + i)).toList());
    BatchOptions options = options(new BatchId("later"));
    submit(file, options, false);
    awaitSeen(20);
    try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
      BatchStatus before = collector.collect(ProgressListener.NONE);
      collector.writeResults(dir.resolve("partial.jsonl"), dir.resolve("partial.errors.jsonl"), ProgressListener.NONE);
      responder.release();

      BatchStatus after = collector.awaitAll(WAIT, ProgressListener.NONE);
      collector.writeResults(dir.resolve("out.jsonl"), dir.resolve("errors.jsonl"), ProgressListener.NONE);

      assertThat(before.done()).isZero();
      assertThat(before.pending()).isEqualTo(20);
      assertThat(readJsonl(dir.resolve("partial.jsonl"))).isEmpty();
      assertThat(after.complete()).isTrue();
      assertThat(readJsonl(dir.resolve("out.jsonl"))).hasSize(20);
    }
  }

  @Test
  void skippedInvalidLinesAppearAsFailuresAtTheirPlace() throws Exception {
    Path file = Files.write(dir.resolve("in.jsonl"), List.of(line("a", "one"), "{broken", line("c", "three")));
    BatchFileValidation validation = BatchFileValidation.validate(file, true, ProgressListener.NONE);
    BatchOptions options = options(new BatchId("skipping"));

    try (BatchSubmitter submitter = BatchSubmitter.open(config, options)) {
      assertThatThrownBy(() -> submitter.submitFile(validation, false, ProgressListener.NONE))
          .isInstanceOf(BatchException.class).hasMessageContaining("nothing was enqueued");
      submitter.submitFile(validation, true, ProgressListener.NONE);
    }
    try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
      collector.awaitAll(WAIT, ProgressListener.NONE);
      collector.writeResults(dir.resolve("out.jsonl"), dir.resolve("errors.jsonl"), ProgressListener.NONE);
    }

    List<JsonNode> out = readJsonl(dir.resolve("out.jsonl"));
    assertThat(out).extracting(n -> n.path("error").path("code").asText("")).containsExactly("", "invalid_line", "");
    assertThat(out.get(1).path("error").path("message").asText()).startsWith("line 2: malformed JSON");
  }

  @Test
  void statusWhileTheSubmissionIsStillRunningLosesNoReply() throws Exception {
    BatchOptions options = new BatchOptions(new BatchId("concurrent"), "research", null, null, "fast", null, dir.resolve("state"));
    // A clock that never moves keeps the submitter from rewriting its manifest mid-run, so the
    // collector sees the manifest lag behind what was sent, as it does between two saves.
    Clock frozen = Clock.fixed(Instant.now(), ZoneOffset.UTC);
    BatchStatus during;
    BatchStatus after;
    try (BatchSubmitter batch = BatchSubmitter.open(config, options, frozen)) {
      for (int i = 1; i <= 10; i++) {
        String text = "ticket " + i;
        batch.add("t" + i, r -> r.user(text));
      }
      awaitRepliesOnTopic(batch.replyTopic(), 10);
      try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
        during = collector.collect(ProgressListener.NONE);
      }
      for (int i = 11; i <= 20; i++) {
        String text = "ticket " + i;
        batch.add("t" + i, r -> r.user(text));
      }
    }
    try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
      after = collector.awaitAll(WAIT, ProgressListener.NONE);
      collector.writeResults(dir.resolve("out.jsonl"), dir.resolve("errors.jsonl"), ProgressListener.NONE);
    }

    assertThat(after.done()).isEqualTo(20);
    assertThat(after.complete()).isTrue();
    assertThat(during.done()).isEqualTo(10);
    assertThat(during.complete()).isFalse();
    assertThat(readJsonl(dir.resolve("out.jsonl"))).extracting(n -> n.path("custom_id").asText())
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 20).mapToObj(i -> "t" + i).toList());
  }

  @Test
  void aCollectionThatRunsOutOfTimeFailsClearlyAndTheNextOneGoesOn() throws Exception {
    Path file = Files.write(dir.resolve("in.jsonl"), IntStream.rangeClosed(1, 30).mapToObj(i -> line("r" + i, "p" + i)).toList());
    BatchOptions options = options(new BatchId("hurried"));
    BatchSubmitter.SubmitReport report = submit(file, options, false);
    awaitRepliesOnTopic(report.replyTopic(), 30);

    try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
      assertThatThrownBy(() -> collector.collect(Duration.ofNanos(1), ProgressListener.NONE))
          .isInstanceOf(BatchException.class).hasMessageContaining("within PT0.000000001S");
      BatchStatus status = collector.collect(WAIT, ProgressListener.NONE);

      assertThat(status.complete()).isTrue();
      assertThat(status.done()).isEqualTo(30);
    }
  }

  @Test
  void aJobBuildsItsPromptsInCode() throws Exception {
    BatchOptions options = new BatchOptions(new BatchId("in-code"), "research", "classifier", null, "fast", null, dir.resolve("state"));

    try (BatchSubmitter batch = BatchSubmitter.open(config, options)) {
      for (int i = 1; i <= 10; i++) {
        String text = "ticket " + i;
        batch.add("t" + i, r -> r.system("Classify").user(text));
      }
      assertThatThrownBy(() -> batch.add(" ", r -> r.user("blank"))).hasMessageContaining("custom_id must not be blank");
    }
    try (BatchCollector collector = BatchCollector.open(config, options.batchId(), options.stateDir())) {
      BatchStatus status = collector.awaitAll(WAIT, ProgressListener.NONE);
      collector.writeResults(dir.resolve("out.jsonl"), dir.resolve("errors.jsonl"), ProgressListener.NONE);

      assertThat(status.complete()).isTrue();
    }

    assertThat(readJsonl(dir.resolve("out.jsonl"))).extracting(n -> n.path("custom_id").asText())
        .containsExactly("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10");
  }

  private BatchOptions options(BatchId id) {
    return new BatchOptions(id, "research", null, null, null, null, dir.resolve("state"));
  }

  private BatchSubmitter.SubmitReport submit(Path file, BatchOptions options, boolean skipInvalid) {
    BatchFileValidation validation = BatchFileValidation.validate(file, true, ProgressListener.NONE);
    try (BatchSubmitter submitter = BatchSubmitter.open(config, options)) {
      return submitter.submitFile(validation, skipInvalid, ProgressListener.NONE);
    }
  }

  private void awaitRepliesOnTopic(String topic, long n) {
    try (Admin admin = kafka.admin()) {
      Awaitility.await(n + " replies on " + topic).atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
        Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(List.of(topic)).allTopicNames().get()
            .get(topic).partitions().stream()
            .collect(Collectors.toMap(p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
        return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum() >= n;
      });
    }
  }

  private void awaitSeen(int n) {
    Awaitility.await("responder saw " + n + " requests").atMost(WAIT).pollInterval(Duration.ofMillis(20))
        .until(() -> responder.seen() >= n);
  }

  static List<JsonNode> readJsonl(Path file) throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String text : Files.readAllLines(file)) {
      nodes.add(JSON.readTree(text));
    }
    return nodes;
  }
}
