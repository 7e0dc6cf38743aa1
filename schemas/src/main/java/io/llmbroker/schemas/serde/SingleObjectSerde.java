package io.llmbroker.schemas.serde;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro single-object encoding: a 2-byte marker, the writer schema's 8-byte fingerprint, then
 * the binary datum. The decoder knows the compiled-in schema and every released version of
 * it, so it reads data from any released writer. Thread-safe.
 */
final class SingleObjectSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;
  private final String typeName;

  SingleObjectSerde(Class<T> type) {
    this(type, ReleasedSchemas.versionsOf(SpecificData.getForClass(type).getSchema(type).getFullName()));
  }

  /** @param knownWriters the other writer schemas this serde must read, besides the compiled-in one */
  SingleObjectSerde(Class<T> type, Collection<Schema> knownWriters) {
    SpecificData model = SpecificData.getForClass(type);
    Schema schema = model.getSchema(type);
    this.typeName = schema.getName();
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    knownWriters.forEach(decoder::addSchema);
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    try {
      ByteBuffer buffer = encoder.encode(data);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (Exception e) {
      throw new SerializationException("cannot encode " + typeName + " for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return decoder.decode(data);
    } catch (Exception e) {
      throw new SerializationException("cannot decode " + typeName + " from topic " + topic + ": "
          + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {}

  @Override
  public void close() {}
}
