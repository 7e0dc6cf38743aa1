package io.llmbroker.cli.client;

import io.llmbroker.client.ClientConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Options every client command shares: where Kafka is and how to talk to it. */
public final class ClientOptions {

  @Option(names = "--bootstrap-server", paramLabel = "HOST:PORT",
      description = "Kafka bootstrap address (default: the config file's bootstrap.servers, else $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092).")
  String bootstrapServer;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Kafka client properties (security, schema.registry.url, tuning).")
  Path config;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "",
      description = "Prefix of every topic name, as configured on the workers.")
  String topicPrefix;

  /**
   * The client config for {@code service}.
   *
   * @throws io.llmbroker.runtime.config.ConfigException when the properties file cannot be read
   */
  public ClientConfig clientConfig(String service, Map<String, String> env) {
    Map<String, String> kafka = new LinkedHashMap<>(readProperties());
    String fromFile = kafka.remove("bootstrap.servers");
    String bootstrap = bootstrapServer != null ? bootstrapServer
        : fromFile != null ? fromFile
        : env.getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    return ClientConfig.of(bootstrap, service).withTopicPrefix(topicPrefix).withKafka(kafka);
  }

  private Map<String, String> readProperties() {
    if (config == null) {
      return Map.of();
    }
    Properties props = ClientConfig.readProperties(config);
    Map<String, String> map = new LinkedHashMap<>();
    props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k)));
    return map;
  }
}
