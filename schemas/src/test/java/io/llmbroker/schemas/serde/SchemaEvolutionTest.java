package io.llmbroker.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.schemas.Samples;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * Data crosses versions in both directions: a newer reader reads what an older writer wrote
 * (defaults fill the gap) and an older reader reads what a newer writer wrote (new fields
 * are skipped). The "older" schema here is today's LlmRequest without its optional fields.
 */
class SchemaEvolutionTest {

  private static final Schema CURRENT = LlmRequest.getClassSchema();
  private static final Schema OLDER = withoutFields(CURRENT, List.of("customer", "tags", "deadline", "trace"));

  @Test
  void newerReaderReadsWhatAnOlderWriterWrote() throws Exception {
    GenericRecord old = new GenericData.Record(OLDER);
    GenericRecord full = GenericData.get().deepCopy(CURRENT, Samples.request());
    OLDER.getFields().forEach(f -> old.put(f.name(), full.get(f.name())));
    ByteBuffer written = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), OLDER).encode(old);
    byte[] bytes = new byte[written.remaining()];
    written.get(bytes);
    SingleObjectSerde<LlmRequest> newer = new SingleObjectSerde<>(LlmRequest.class, List.of(OLDER));

    LlmRequest read = newer.deserialize("t", bytes);

    assertThat(read.getId()).isEqualTo("req-1");
    assertThat(read.getMessages()).isEqualTo(Samples.request().getMessages());
    assertThat(read.getCustomer()).isNull();
    assertThat(read.getTags()).isEmpty();
    assertThat(read.getDeadline()).isNull();
  }

  @Test
  void olderReaderReadsWhatANewerWriterWrote() throws Exception {
    byte[] bytes = new SingleObjectSerde<>(LlmRequest.class, List.of()).serialize("t", Samples.request());
    BinaryMessageDecoder<GenericRecord> older = new BinaryMessageDecoder<>(GenericData.get(), OLDER);
    older.addSchema(CURRENT);

    GenericRecord read = older.decode(bytes);

    assertThat(read.get("id")).hasToString("req-1");
    assertThat(read.get("team")).hasToString("search");
    assertThat(read.getSchema().getField("customer")).isNull();
  }

  private static Schema withoutFields(Schema schema, List<String> dropped) {
    List<Schema.Field> kept = schema.getFields().stream()
        .filter(f -> !dropped.contains(f.name()))
        .map(f -> new Schema.Field(f, f.schema()))
        .toList();
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, kept);
  }
}
