package io.llmbroker.schemas.serde;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * The one serde factory. Without a schema registry, values use Avro single-object encoding
 * with the compiled-in schemas; with {@value #SCHEMA_REGISTRY_URL} set, the Confluent wire
 * format against that registry. Serdes are cached per type; all are thread-safe.
 */
public final class AvroSerdes {

  /** The config key naming a Confluent-API schema registry; absent or blank for none. */
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

  private final Optional<SchemaRegistryClient> registry;
  private final Map<Class<?>, Serde<?>> serdes = new ConcurrentHashMap<>();

  private AvroSerdes(Optional<SchemaRegistryClient> registry) {
    this.registry = registry;
  }

  /** Single-object encoding, no registry. */
  public static AvroSerdes singleObject() {
    return new AvroSerdes(Optional.empty());
  }

  /** The Confluent wire format against the registry at {@code url}. */
  public static AvroSerdes confluent(URI url) {
    return new AvroSerdes(Optional.of(new SchemaRegistryClient(url)));
  }

  /**
   * Chooses the wire format from client properties: Confluent when {@value #SCHEMA_REGISTRY_URL}
   * is set, single-object otherwise.
   *
   * @throws IllegalArgumentException when the URL is not a valid http(s) URL
   */
  public static AvroSerdes fromConfig(Map<String, ?> config) {
    Object url = config.get(SCHEMA_REGISTRY_URL);
    if (url == null || url.toString().isBlank()) {
      return singleObject();
    }
    URI uri;
    try {
      uri = URI.create(url.toString().trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + " is not a URL: '" + url + "'", e);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + " must be an http(s) URL: '" + url + "'");
    }
    return confluent(uri);
  }

  /** The serde of an Avro-generated type. */
  @SuppressWarnings("unchecked")
  public <T extends SpecificRecord> Serde<T> serde(Class<T> type) {
    return (Serde<T>) serdes.computeIfAbsent(type, t -> registry
        .<Serde<T>>map(r -> new ConfluentWireSerde<>(type, r))
        .orElseGet(() -> new SingleObjectSerde<>(type)));
  }
}
