package io.llmbroker.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
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
      assertThat(session(first.pid().orElseThrow()))
          .as("the broker has a session of its own: a Ctrl-C to the command does not stop it before the services")
          .isNotEqualTo(session(ProcessHandle.current().pid()));
      assertThat(topics(first.bootstrapServers())).as("closing a reused broker leaves it running").contains("kept");
    }

    try (LocalKafka restarted = LocalKafka.startOrReuse(data, port, controllerPort)) {
      assertThat(restarted.owned()).as("the first instance stopped its broker on close").isTrue();
      assertThat(topics(restarted.bootstrapServers())).contains("kept");
    }
  }

  /** The session id, field 6 of /proc/<pid>/stat (after the command name in parentheses). */
  private static long session(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[3]);
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
