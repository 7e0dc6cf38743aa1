package io.llmbroker.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker `llm-broker local` and `demo` run: a real Kafka in a child JVM. */
class LocalKafkaTest {

  @TempDir
  Path data;

  @Test
  void startsARealBrokerReusesItAndKeepsItsDataAcrossRestarts() throws Exception {
    int port = freePort();
    int controllerPort = freePort();

    try (LocalKafka first = LocalKafka.startOrReuse(data, port, controllerPort)) {
      createTopic(first.bootstrapServers(), "kept");
      try (LocalKafka second = LocalKafka.startOrReuse(data, port, controllerPort)) {
        assertThat(first.owned()).isTrue();
        assertThat(second.owned()).isFalse();
        assertThat(topics(second.bootstrapServers())).contains("kept");
      }
      assertThat(topics(first.bootstrapServers())).as("closing a reused broker leaves it running").contains("kept");
    }

    try (LocalKafka restarted = LocalKafka.startOrReuse(data, port, controllerPort)) {
      assertThat(restarted.owned()).as("the first instance stopped its broker on close").isTrue();
      assertThat(topics(restarted.bootstrapServers())).contains("kept");
    }
  }

  private static void createTopic(String bootstrap, String name) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      admin.createTopics(Set.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static Set<String> topics(String bootstrap) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }
  }

  private static Admin admin(String bootstrap) {
    return Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
