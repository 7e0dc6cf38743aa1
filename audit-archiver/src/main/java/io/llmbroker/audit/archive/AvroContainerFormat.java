package io.llmbroker.audit.archive;

import io.llmbroker.avro.AuditRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Avro object container files of {@link AuditRecord}, deflate-compressed; the writer schema is in
 * each file, so any Avro tool reads them. Thread-safe.
 */
public final class AvroContainerFormat implements ArchiveFormat {

  private static final int DEFLATE_LEVEL = 6;

  @Override
  public String extension() {
    return ".avro";
  }

  @Override
  public void write(List<AuditRecord> records, Path file) throws IOException {
    try (DataFileWriter<AuditRecord> writer = new DataFileWriter<>(new SpecificDatumWriter<>(AuditRecord.class))) {
      writer.setCodec(CodecFactory.deflateCodec(DEFLATE_LEVEL));
      writer.create(AuditRecord.getClassSchema(), file.toFile());
      for (AuditRecord record : records) {
        writer.append(record);
      }
      writer.fSync();
    }
  }

  @Override
  public void read(Path file, Consumer<AuditRecord> action) throws IOException {
    try (DataFileReader<AuditRecord> reader = new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(AuditRecord.class))) {
      while (reader.hasNext()) {
        action.accept(reader.next());
      }
    }
  }

  @Override
  public long count(Path file) throws IOException {
    try (DataFileReader<AuditRecord> reader = new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(AuditRecord.class))) {
      long n = 0;
      // Counts block headers instead of decoding every record.
      while (reader.hasNext()) {
        n += reader.getBlockCount();
        reader.nextBlock();
      }
      return n;
    }
  }
}
