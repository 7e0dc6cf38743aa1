package io.llmbroker.gateway;

import io.llmbroker.avro.App;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.client.RequestSigner;
import io.llmbroker.gateway.batch.BatchApi;
import io.llmbroker.gateway.batch.Batches;
import io.llmbroker.gateway.chat.ChatCompletions;
import io.llmbroker.gateway.config.GatewayConfig;
import io.llmbroker.gateway.config.GatewaySettings;
import io.llmbroker.gateway.http.ApiHandler;
import io.llmbroker.gateway.keys.Authenticator;
import io.llmbroker.gateway.models.Models;
import io.llmbroker.runtime.apps.AppRegistry;
import io.llmbroker.runtime.ops.OpsServer;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible gateway: OpenAI's HTTP API on the ops port, over the Kafka path. Stateless:
 * it follows the apps registry for its keys and sends each call with the client library, so any
 * number of instances may run behind a load balancer. Ready once the registry is loaded and the
 * reply topic is being read.
 */
public final class GatewayService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GatewayService.class);
  private static final Duration REGISTRY_LOAD_TIMEOUT = Duration.ofSeconds(60);

  private final AppRegistry apps;
  private final LlmBrokerClient client;
  private final OpsServer ops;
  private final List<AutoCloseable> others;
  private volatile boolean listening;
  private volatile boolean closed;

  private GatewayService(AppRegistry apps, LlmBrokerClient client, OpsServer ops, List<AutoCloseable> others) {
    this.apps = apps;
    this.client = client;
    this.ops = ops;
    this.others = others;
    client.ready().thenRun(() -> listening = true);
  }

  /**
   * Creates the apps topic when missing, loads the registry and starts serving.
   *
   * @throws IllegalStateException when Kafka cannot be reached or the registry not loaded in time
   */
  public static GatewayService start(GatewayConfig config, Clock clock) {
    GatewaySettings settings = config.gateway();
    Topics topics = config.topics().catalogue();
    Map<String, Object> kafka = new HashMap<>(config.kafka());
    AvroSerdes serdes = AvroSerdes.fromConfig(kafka);
    // Not a Kafka client setting: it only picks the wire format.
    kafka.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
    String instance = "gateway-" + UUID.randomUUID().toString().substring(0, 8);
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      try (Admin admin = Admin.create(kafka)) {
        Topics.createMissing(admin, List.of(topics.apps()), config.topics().replicationFactor());
      }
      AppRegistry apps = AppRegistry.start(kafka, instance + "-apps", topics.apps(), serdes.serde(App.class).deserializer(),
          REGISTRY_LOAD_TIMEOUT);
      opened.add(apps);
      Map<String, String> clientKafka = new HashMap<>(config.kafka());
      String bootstrap = clientKafka.remove("bootstrap.servers");
      LlmBrokerClient client = LlmBrokerClient.create(new ClientConfig(bootstrap, settings.service(), null, null,
          settings.defaultTimeout(), topics.prefix(), true, clientKafka, settings.signingKeyId(), settings.signingKey()), clock);
      opened.add(client);
      Batches batches = new Batches(kafka, topics, config.topics().replicationFactor(), serdes,
          settings.signingKey() == null ? Optional.empty() : Optional.of(RequestSigner.of(settings.signingKeyId(), settings.signingKey())),
          instance, clock);
      opened.add(batches);
      ExecutorService io = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "gateway-io");
        t.setDaemon(true);
        return t;
      });
      opened.add(io::shutdownNow);
      PrometheusMeterRegistry meters = OpsServer.newRegistry();
      GatewayService[] self = new GatewayService[1];
      OpsServer ops = new OpsServer(config.ops().host(), config.ops().port(), meters,
          () -> self[0] != null && !self[0].closed, () -> self[0] != null && self[0].ready());
      opened.add(ops);
      Models models = new Models(settings.models());
      ChatCompletions chat = new ChatCompletions(client, settings, clock);
      BatchApi batchApi = new BatchApi(batches, io, clock);
      ops.handle("/v1/", new ApiHandler(new Authenticator(apps, clock), settings.maxBodyBytes(), meters)
          .route("POST", "/v1/chat/completions", "chat.completions", chat)
          .route("GET", "/v1/models", "models.list", models::list)
          .route("GET", "/v1/models/.+", "models.get", models::get)
          .route("POST", "/v1/files", "files.create", settings.maxFileBytes(), batchApi::uploadFile)
          .route("GET", "/v1/files/[^/]+", "files.get", batchApi::getFile)
          .route("GET", "/v1/files/[^/]+/content", "files.content", batchApi::fileContent)
          .route("POST", "/v1/batches", "batches.create", batchApi::createBatch)
          .route("GET", "/v1/batches", "batches.list", batchApi::listBatches)
          .route("GET", "/v1/batches/[^/]+", "batches.get", batchApi::getBatch)
          .route("POST", "/v1/batches/[^/]+/cancel", "batches.cancel", batchApi::cancelBatch));
      self[0] = new GatewayService(apps, client, ops, List.of(batches, io::shutdownNow));
      log.info("event=gateway_started instance={} port={} service={} signed={} topics_prefix=\"{}\"", instance, ops.port(),
          settings.service(), settings.signingKeyId() != null, topics.prefix());
      return self[0];
    } catch (RuntimeException e) {
      for (int i = opened.size() - 1; i >= 0; i--) {
        try {
          opened.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** True once the reply topic is being read (the registry is loaded before {@link #start} returns). */
  public boolean ready() {
    return listening && !closed;
  }

  /** The port of the API, health and metrics. */
  public int port() {
    return ops.port();
  }

  /** Stops taking calls, fails the calls still waiting (503), and closes the Kafka clients. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    client.close();
    ops.close();
    for (AutoCloseable other : others) {
      try {
        other.close();
      } catch (Exception e) {
        log.warn("event=gateway_close_failed error={}", e.toString());
      }
    }
    apps.close();
    log.info("event=gateway_stopped port={}", ops.port());
  }
}
