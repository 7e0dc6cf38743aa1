package io.llmbroker.audit.archive;

import io.llmbroker.avro.AuditRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * How one archive file is encoded. The archive directory does the naming, temp files and atomic
 * renames; a format only writes and reads one file, so another (Parquet) can take its place.
 * Implementations are thread-safe.
 */
public interface ArchiveFormat {

  /** The file name ending, dot included: {@code .avro}. */
  String extension();

  /** Writes {@code records} to a new file at {@code file}, durably: on return the bytes are on disk. */
  void write(List<AuditRecord> records, Path file) throws IOException;

  /** Calls {@code action} with every record of {@code file}, in order. */
  void read(Path file, Consumer<AuditRecord> action) throws IOException;

  /** How many records {@code file} holds. */
  long count(Path file) throws IOException;
}
