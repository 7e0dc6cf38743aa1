package io.llmbroker.audit.topology;

import io.llmbroker.avro.AuditRecord;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * An audit record as read from {@code llm.audit}, with the bytes it came in: the buffer keeps
 * those bytes when redaction changed nothing, so that a record is encoded only when it must be.
 */
record Incoming(byte[] bytes, AuditRecord record) {

  /** Reads with {@code records}' deserializer (a bad record fails there, as before); writes nothing. */
  static Serde<Incoming> serde(Serde<AuditRecord> records) {
    Deserializer<AuditRecord> decoder = records.deserializer();
    return new Serde<>() {
      @Override
      public Serializer<Incoming> serializer() {
        return (topic, incoming) -> incoming == null ? null : incoming.bytes();
      }

      @Override
      public Deserializer<Incoming> deserializer() {
        return (topic, bytes) -> bytes == null ? null : new Incoming(bytes, decoder.deserialize(topic, bytes));
      }

      @Override
      public void configure(Map<String, ?> configs, boolean isKey) {
        decoder.configure(configs, isKey);
      }
    };
  }
}
