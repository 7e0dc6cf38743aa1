package io.llmbroker.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The Confluent wire format: magic byte 0, the 4-byte big-endian schema id, then the binary
 * datum. Schemas are registered under {@code <topic>-value} (the TopicNameStrategy), so any
 * Confluent-compatible consumer reads our topics. Thread-safe.
 */
final class ConfluentWireSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

  private static final byte MAGIC = 0;

  private final SchemaRegistryClient registry;
  private final SpecificData model;
  private final Schema schema;
  private final SpecificDatumWriter<T> writer;

  ConfluentWireSerde(Class<T> type, SchemaRegistryClient registry) {
    this.registry = registry;
    this.model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    int id = registry.register(topic + "-value", schema);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      out.write(MAGIC);
      out.write(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(data, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot encode " + schema.getName() + " for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (data.length < 5 || data[0] != MAGIC) {
      throw new SerializationException("not in the Confluent wire format (magic byte 0 and schema id) on topic "
          + topic + ": " + data.length + " bytes");
    }
    int id = ByteBuffer.wrap(data, 1, 4).getInt();
    try {
      SpecificDatumReader<T> reader = new SpecificDatumReader<>(registry.schema(id), schema, model);
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot decode " + schema.getName() + " (schema id " + id + ") from topic "
          + topic + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
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
