package io.llmbroker.client;

import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.config.ConfigFile;
import io.llmbroker.schemas.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * How a client reaches the broker and who it is. Immutable; validated on construction.
 *
 * <p>YAML shape (kebab-case keys, {@code ${ENV}} substituted):
 * <pre>
 * bootstrap-servers: ${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}
 * service: checkout            # reply_to: replies arrive on llm.responses.checkout
 * team: payments               # defaults for requests that do not name them
 * app: checkout-api
 * default-timeout: 30s
 * topic-prefix: ""
 * create-reply-topic: true
 * signing-key-id: k-0123456789abcdef   # sign every request with this app key
 * signing-key: ${LLM_BROKER_SIGNING_KEY}
 * kafka:                       # passed through to the producer and the reply consumer
 *   security.protocol: SASL_SSL
 *   schema.registry.url: http://registry:8081
 * </pre>
 * A {@code .properties} file holds the same settings under {@code llm-broker.<key>}; every other
 * key is a Kafka client property.
 *
 * @param bootstrapServers Kafka bootstrap address
 * @param service the reply_to service name; must match {@link Topics#SERVICE_NAME}
 * @param team default team of requests; may be null
 * @param app default app of requests; may be null
 * @param defaultTimeout the per-request timeout when a request names none
 * @param topicPrefix prefix of every topic name, empty for none
 * @param createReplyTopic whether the client creates its reply topic when it is missing
 * @param kafka extra Kafka client properties (security, {@code schema.registry.url}, tuning)
 * @param signingKeyId the app key id requests are signed with; null to send them unsigned
 * @param signingKey the matching Ed25519 private key, base64 PKCS#8 as {@code llm-broker apps}
 *     prints it; never shown by {@link #toString()} nor in exceptions
 */
public record ClientConfig(
    String bootstrapServers,
    String service,
    String team,
    String app,
    Duration defaultTimeout,
    String topicPrefix,
    Boolean createReplyTopic,
    Map<String, String> kafka,
    String signingKeyId,
    String signingKey) {

  /** The timeout used when the config names none. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final String PROPERTIES_PREFIX = "llm-broker.";

  public ClientConfig {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap-servers must not be blank: '" + bootstrapServers + "'");
    }
    if (service == null || !Topics.SERVICE_NAME.matcher(service).matches()) {
      throw new IllegalArgumentException("service must match " + Topics.SERVICE_NAME + ": '" + service + "'");
    }
    defaultTimeout = defaultTimeout == null ? DEFAULT_TIMEOUT : defaultTimeout;
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("default-timeout must be > 0: " + defaultTimeout);
    }
    topicPrefix = topicPrefix == null ? "" : topicPrefix;
    new Topics(topicPrefix, Optional.empty());
    createReplyTopic = createReplyTopic == null || createReplyTopic;
    kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
    if ((signingKeyId == null) != (signingKey == null)) {
      throw new IllegalArgumentException("signing-key-id and signing-key go together: signing-key-id '" + signingKeyId
          + "', signing-key " + (signingKey == null ? "absent" : "present"));
    }
    if (signingKey != null) {
      try {
        RequestSigner.of(signingKeyId, signingKey);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("signing-key: " + e.getMessage() + " (value not shown)");
      }
    }
  }

  /** The signer of every request this client sends, when a signing key is configured. */
  public Optional<RequestSigner> signer() {
    return signingKey == null ? Optional.empty() : Optional.of(RequestSigner.of(signingKeyId, signingKey));
  }

  /** This config signing every request with {@code key} (base64 PKCS#8) as {@code keyId}. */
  public ClientConfig withSigning(String keyId, String key) {
    return new ClientConfig(bootstrapServers, service, team, app, defaultTimeout, topicPrefix, createReplyTopic, kafka,
        keyId, key);
  }

  @Override
  public String toString() {
    return "ClientConfig[bootstrapServers=" + bootstrapServers + ", service=" + service + ", team=" + team + ", app=" + app
        + ", defaultTimeout=" + defaultTimeout + ", topicPrefix=" + topicPrefix + ", createReplyTopic=" + createReplyTopic
        + ", kafka=" + kafka.keySet() + ", signingKeyId=" + signingKeyId + ", signingKey=" + (signingKey == null ? null : "***")
        + "]";
  }

  /** A config with defaults for everything but the address and the service name. */
  public static ClientConfig of(String bootstrapServers, String service) {
    return new ClientConfig(bootstrapServers, service, null, null, null, "", true, Map.of(), null, null);
  }

  public ClientConfig withService(String newService) {
    return new ClientConfig(bootstrapServers, newService, team, app, defaultTimeout, topicPrefix, createReplyTopic, kafka,
        signingKeyId, signingKey);
  }

  public ClientConfig withDefaultTimeout(Duration timeout) {
    return new ClientConfig(bootstrapServers, service, team, app, timeout, topicPrefix, createReplyTopic, kafka,
        signingKeyId, signingKey);
  }

  public ClientConfig withTopicPrefix(String prefix) {
    return new ClientConfig(bootstrapServers, service, team, app, defaultTimeout, prefix, createReplyTopic, kafka,
        signingKeyId, signingKey);
  }

  /** This config with {@code extra} Kafka properties added (they win over existing ones). */
  public ClientConfig withKafka(Map<String, String> extra) {
    Map<String, String> merged = new LinkedHashMap<>(kafka);
    merged.putAll(extra);
    return new ClientConfig(bootstrapServers, service, team, app, defaultTimeout, topicPrefix, createReplyTopic, merged,
        signingKeyId, signingKey);
  }

  /** The Kafka client properties: {@link #kafka()} plus the bootstrap address. A new mutable map. */
  public Map<String, Object> kafkaProperties() {
    Map<String, Object> props = new LinkedHashMap<>(kafka);
    props.put("bootstrap.servers", bootstrapServers);
    return props;
  }

  /** The topic catalogue these settings address. */
  public Topics topics() {
    return new Topics(topicPrefix, Optional.empty());
  }

  /**
   * Reads a YAML file, or a {@code .properties} file when the name ends so.
   *
   * @throws ConfigException naming the key and value when the file is missing or invalid
   */
  public static ClientConfig load(Path file, Map<String, String> env) {
    if (!file.getFileName().toString().endsWith(".properties")) {
      return ConfigFile.load(file, ClientConfig.class, env);
    }
    return fromProperties(readProperties(file), env);
  }

  /**
   * Reads a Java properties file, such as Kafka client properties.
   *
   * @throws ConfigException when the file is missing or unreadable
   */
  public static Properties readProperties(Path file) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      props.load(reader);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file not found: " + file);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    return props;
  }

  /**
   * Binds properties: {@code llm-broker.<key>} are client settings, everything else is passed to
   * Kafka. {@code bootstrap.servers} is accepted as the address when {@code llm-broker.bootstrap-servers}
   * is absent.
   */
  public static ClientConfig fromProperties(Properties props, Map<String, String> env) {
    StringBuilder yaml = new StringBuilder();
    Map<String, String> kafkaProps = new LinkedHashMap<>();
    for (String key : props.stringPropertyNames()) {
      String value = props.getProperty(key);
      if (key.startsWith(PROPERTIES_PREFIX)) {
        yaml.append(key.substring(PROPERTIES_PREFIX.length())).append(": ").append(quote(value)).append('\n');
      } else if (!key.equals("bootstrap.servers")) {
        kafkaProps.put(key, value);
      }
    }
    if (!props.containsKey(PROPERTIES_PREFIX + "bootstrap-servers") && props.containsKey("bootstrap.servers")) {
      yaml.append("bootstrap-servers: ").append(quote(props.getProperty("bootstrap.servers"))).append('\n');
    }
    if (!kafkaProps.isEmpty()) {
      yaml.append("kafka:\n");
      kafkaProps.forEach((k, v) -> yaml.append("  ").append(quote(k)).append(": ").append(quote(v)).append('\n'));
    }
    return ConfigFile.parse(yaml.toString(), ClientConfig.class, env);
  }

  private static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
