package io.llmbroker.worker;

import static io.llmbroker.worker.WorkerTestKit.WAIT;
import static io.llmbroker.worker.WorkerTestKit.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.worker.publishing.DeadLetters;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadLetterTest {

  private static final int VALID = 300;
  private static final int GARBAGE = 3000;

  private final WorkerTestKit kit = new WorkerTestKit(3);

  @AfterEach
  void closeKit() {
    kit.close();
  }

  @Test
  void thousandsOfRandomAndTruncatedPayloadsGoToTheDlqWhileEveryValidRequestIsAnswered() {
    kit.start(kit.config());
    var responses = kit.probe(kit.topics.responses("svc"));
    var dlq = kit.rawProbe(kit.topics.dlq());
    Random random = new Random(42);
    Map<String, byte[]> garbage = new HashMap<>();
    List<String> valid = new ArrayList<>();
    byte[] template = kit.encode(request("template").build());
    Priority[] classes = Priority.values();

    for (int i = 0; i < GARBAGE + VALID; i++) {
      Priority priority = classes[i % classes.length];
      if (i % ((GARBAGE + VALID) / VALID) == 0 && valid.size() < VALID) {
        String id = "valid-" + i;
        valid.add(id);
        kit.submitRaw(priority, id.getBytes(StandardCharsets.UTF_8), kit.encode(request(id).build()));
      } else {
        String key = "garbage-" + i;
        byte[] value = garbage(random, template, i);
        garbage.put(key, value);
        kit.submitRaw(priority, key.getBytes(StandardCharsets.UTF_8), value);
      }
    }
    kit.flush();

    Map<String, LlmResponse> answered = responses.awaitKeys(valid, WAIT);
    assertThat(valid).allSatisfy(id -> assertThat(answered.get(id).getStatus()).isEqualTo(ResponseStatus.OK));
    List<ConsumerRecord<String, byte[]>> dead = dlq.awaitCount(garbage.size(), WAIT);
    assertThat(dead).hasSize(garbage.size());
    assertThat(dead).allSatisfy(record -> {
      assertThat(garbage).containsKey(record.key());
      assertThat(record.value()).isEqualTo(garbage.get(record.key()));
      assertThat(header(record, DeadLetters.TOPIC)).startsWith(kit.topics.prefix() + "llm.requests.");
      assertThat(Integer.parseInt(header(record, DeadLetters.PARTITION))).isBetween(0, 2);
      assertThat(Long.parseLong(header(record, DeadLetters.OFFSET))).isNotNegative();
      assertThat(header(record, DeadLetters.ERROR_CLASS)).isNotBlank();
      assertThat(header(record, DeadLetters.ERROR_MESSAGE)).isNotBlank();
    });
  }

  @Test
  void aRequestThatCannotBeDecodedBecauseTheSchemaRegistryIsDownIsRetriedNotDeadLettered() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    WorkerService worker = kit.start(kit.config("{drain-timeout: 1s}", Map.of("schema.registry.url", "http://127.0.0.1:" + closedPort),
        WorkerTestKit.SIM_ROUTING));
    byte[] confluentFramed = {0, 0, 0, 0, 7, 2, 'x'};

    kit.submitRaw(Priority.STANDARD, "needs-registry".getBytes(StandardCharsets.UTF_8), confluentFramed);
    kit.flush();

    WorkerTestKit.await("two decode attempts", WAIT, () -> worker.metrics().decodeRetryCount() >= 2);
    assertThat(worker.metrics().deadLetterCount()).isZero();
  }

  /** Random bytes, a truncated valid request, a valid header with a random body, or no value at all. */
  private static byte[] garbage(Random random, byte[] template, int i) {
    switch (i % 4) {
      case 0 -> {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        return bytes;
      }
      case 1 -> {
        return Arrays.copyOf(template, random.nextInt(template.length));
      }
      case 2 -> {
        byte[] bytes = Arrays.copyOf(template, template.length);
        for (int b = 10 + random.nextInt(bytes.length - 10); b < bytes.length; b++) {
          bytes[b] = (byte) random.nextInt(256);
        }
        return Arrays.copyOf(bytes, 10 + random.nextInt(bytes.length - 10));
      }
      default -> {
        return i % 40 == 3 ? null : new byte[] {(byte) 0xC3, 0x01};
      }
    }
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    assertThat(header).as(name).isNotNull();
    return new String(header.value(), StandardCharsets.UTF_8);
  }
}
