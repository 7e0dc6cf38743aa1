package io.llmbroker.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client commands' handling of bad input and a missing broker; no worker needed. */
class ClientCommandsTest {

  @TempDir
  Path dir;

  static String chatLine(String customId, String model, String prompt) {
    return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
        + "\"body\":{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}}";
  }

  @Test
  void batchSubmitReportsEveryBadLineByNumberAndEnqueuesNothing() throws Exception {
    KafkaFixture kafka = KafkaFixture.get();
    Topics topics = KafkaFixture.isolatedTopics(1);
    kafka.createTopics(List.copyOf(topics.requestTopics()));
    Path file = Files.write(dir.resolve("in.jsonl"), List.of(
        chatLine("a", "fast", "fine"),
        "{\"custom_id\": \"b\", \"method\": \"POST\"",
        "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"m\",\"input\":\"x\"}}",
        "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"fast\",\"messages\":[]}}",
        "{\"custom_id\":\"e\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"fast\",\"prompt\":\"x\"}}",
        chatLine("a", "fast", "again")));

    CliRun run = CliRun.run(new BatchSubmitCommand(), file.toString(), "--team", "research", "--no-progress",
        "--bootstrap-server", kafka.bootstrapServers(), "--topic-prefix", topics.prefix(),
        "--state-dir", dir.resolve("state").toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .contains("in.jsonl:line 2: malformed JSON")
        .contains("in.jsonl:line 3: unsupported url '/v1/embeddings'")
        .contains("in.jsonl:line 4: custom_id is missing")
        .contains("in.jsonl:line 5: body is not a chat request")
        .contains("in.jsonl:line 6: duplicate custom_id 'a' (first at line 1)")
        .contains("5 of 6 lines are invalid; nothing was enqueued");
    assertThat(recordsIn(kafka, topics.requests(Priority.BATCH).name())).isZero();
    assertThat(dir.resolve("state")).doesNotExist();
  }

  @Test
  void submitAgainstABrokerThatIsDownFailsWithAClearErrorInsteadOfHanging() {
    CliRun run = CliRun.run(new SubmitCommand(), "hello", "--model", "fast", "--team", "x",
        "--bootstrap-server", "localhost:1", "--timeout", "2s");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("has not reached Kafka at localhost:1");
  }

  @Test
  void batchSubmitAgainstABrokerThatIsDownFailsWithAClearError() throws Exception {
    Path file = Files.write(dir.resolve("in.jsonl"), List.of(chatLine("a", "fast", "fine")));

    CliRun run = CliRun.run(new BatchSubmitCommand(), file.toString(), "--team", "research", "--no-progress",
        "--bootstrap-server", "localhost:1", "--state-dir", dir.resolve("state").toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("cannot prepare batch").contains("localhost:1");
  }

  @Test
  void batchStatusOfAnUnknownBatchSaysWhereItLooked() {
    CliRun run = CliRun.run(new BatchStatusCommand(), "no-such-batch", "--no-progress",
        "--bootstrap-server", "localhost:1", "--state-dir", dir.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("unknown batch no-such-batch").contains(dir.toString());
  }

  private static long recordsIn(KafkaFixture kafka, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      return c.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
