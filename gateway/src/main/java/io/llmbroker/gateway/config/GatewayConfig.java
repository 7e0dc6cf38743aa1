package io.llmbroker.gateway.config;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.runtime.config.OpsSettings;
import io.llmbroker.runtime.config.TopicSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * The gateway's configuration, bound from YAML by {@link ConfigFile}:
 *
 * <pre>{@code
 * kafka: {bootstrap.servers: "${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"}   # passed through
 * topics: {prefix: ""}
 * ops: {host: 0.0.0.0, port: 8084}        # the OpenAI API, /health/*, /metrics
 * gateway: {service: gateway, default-timeout: 60s, max-timeout: 10m, max-body-bytes: 1000000, models: [fast, smart]}
 * }</pre>
 *
 * Every section but {@code kafka.bootstrap.servers} may be left out. Immutable and thread-safe.
 *
 * @param kafka Kafka client properties passed to the client and the registry reader
 */
public record GatewayConfig(Map<String, String> kafka, TopicSettings topics, OpsSettings ops, GatewaySettings gateway) {

  /** The resource holding the default configuration. */
  public static final String BUNDLED_RESOURCE = "gateway.yaml";

  public GatewayConfig {
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    topics = topics == null ? TopicSettings.defaults() : topics;
    ops = OpsSettings.withDefaultPort(ops, 8084);
    gateway = gateway == null ? GatewaySettings.defaults() : gateway;
    if (!kafka.containsKey("bootstrap.servers")) {
      throw ConfigException.forKey("kafka.bootstrap.servers", "must be set");
    }
  }

  /** Reads a config file, substituting {@code ${VARIABLES}} from {@code env}. */
  public static GatewayConfig load(Path file, Map<String, String> env) {
    return ConfigFile.load(file, GatewayConfig.class, env);
  }

  /** Parses YAML text, substituting {@code ${VARIABLES}} from {@code env}. */
  public static GatewayConfig parse(String yaml, Map<String, String> env) {
    return ConfigFile.parse(yaml, GatewayConfig.class, env);
  }

  /** The default configuration shipped in the jar, as YAML text. */
  public static String bundledYaml() {
    return ConfigFile.resource(GatewayConfig.class, "/" + BUNDLED_RESOURCE);
  }
}
