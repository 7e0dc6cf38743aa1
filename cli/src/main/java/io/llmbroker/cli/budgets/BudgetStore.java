package io.llmbroker.cli.budgets;

import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetState;
import io.llmbroker.cli.client.ClientOptions;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.runtime.budgets.BudgetEntry;
import io.llmbroker.runtime.follow.TopicFollower;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Reads and writes {@code llm.budgets} and reads {@code llm.budget-state} for one command run. Not thread-safe. */
final class BudgetStore {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final Topic<Budget> budgets;
  private final Topic<BudgetState> states;
  private final AvroSerdes serdes;

  BudgetStore(ClientOptions options) {
    ClientConfig config = options.clientConfig("budgets", System.getenv());
    this.kafka = config.kafkaProperties();
    Topics topics = config.topics();
    this.budgets = topics.budgets();
    this.states = topics.budgetState();
    this.serdes = AvroSerdes.fromConfig(kafka);
    kafka.remove(AvroSerdes.SCHEMA_REGISTRY_URL);
  }

  /** Every budget record, sorted by id; the topics are created (compacted) when missing. */
  Map<String, BudgetEntry> all() {
    createTopicsIfMissing();
    Map<String, BudgetEntry> all = new TreeMap<>();
    var decoder = serdes.serde(Budget.class).deserializer();
    TopicFollower.readOnce(kafka, "llm-broker-budgets-cli", List.of(budgets.name()), record -> {
      if (record.key() == null) {
        return;
      }
      String key = new String(record.key(), StandardCharsets.UTF_8);
      if (record.value() == null) {
        all.remove(key);
      } else {
        all.put(key, BudgetEntry.read(key, record.value(), record.topic(), decoder));
      }
    }, TIMEOUT);
    return all;
  }

  /** The latest readable state of every budget that has one. */
  Map<String, BudgetState> states() {
    createTopicsIfMissing();
    Map<String, BudgetState> all = new HashMap<>();
    var decoder = serdes.serde(BudgetState.class).deserializer();
    TopicFollower.readOnce(kafka, "llm-broker-budgets-cli", List.of(states.name()), record -> {
      if (record.key() == null) {
        return;
      }
      String key = new String(record.key(), StandardCharsets.UTF_8);
      if (record.value() == null) {
        all.remove(key);
        return;
      }
      try {
        all.put(key, decoder.deserialize(record.topic(), record.value()));
      } catch (RuntimeException e) {
        // An unreadable state is shown as no spend known: the aggregator's next state replaces it.
      }
    }, TIMEOUT);
    return all;
  }

  void put(Budget budget) {
    write(budget.getId(), serdes.serde(Budget.class).serializer().serialize(budgets.name(), budget));
  }

  /** Writes the tombstone that deletes budget {@code id}. */
  void delete(String id) {
    write(id, null);
  }

  String topicName() {
    return budgets.name();
  }

  private void write(String id, byte[] value) {
    createTopicsIfMissing();
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(budgets.name(), id.getBytes(StandardCharsets.UTF_8), value))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot write budget '" + id + "' to " + budgets.name() + ": "
          + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not acknowledge budget '" + id + "' within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void createTopicsIfMissing() {
    try (Admin admin = Admin.create(kafka)) {
      var existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = List.of(budgets, states).stream().filter(t -> !existing.contains(t.name()))
          .map(t -> new NewTopic(t.name(), t.partitions(), Optional.empty()).configs(t.configs())).toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create " + budgets.name() + ": " + e.getCause().getMessage(), e);
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka at " + kafka.get("bootstrap.servers") + " did not answer within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
