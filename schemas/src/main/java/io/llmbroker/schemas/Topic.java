package io.llmbroker.schemas;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * One topic of the catalogue: its name, the type of its values, and how it is created.
 *
 * @param name the full name, prefix included
 * @param valueType the Avro class of its values, or {@code byte[]} for raw topics
 * @param partitions partitions when created; empty means the cluster default
 * @param configs topic configs set at creation (retention, compaction)
 */
public record Topic<T>(String name, Class<T> valueType, Optional<Integer> partitions, Map<String, String> configs) {

  public Topic {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank: '" + name + "'");
    }
    configs = Map.copyOf(configs);
  }

  /** The topic as Kafka's admin client creates it. */
  public NewTopic newTopic(short replicationFactor) {
    return new NewTopic(name, partitions, Optional.of(replicationFactor)).configs(configs);
  }
}
