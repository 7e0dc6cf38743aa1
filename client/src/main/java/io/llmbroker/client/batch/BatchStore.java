package io.llmbroker.client.batch;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The local state of one batch under {@code <state-dir>/<batch id>/}: {@code manifest.json},
 * {@code offsets.json} (how far the reply topic was read) and {@code results/chunk-NNNNNN.tsv},
 * where every collected reply is appended to the file of its line's chunk of
 * {@value #CHUNK_LINES} lines. Results stay here until the folder is deleted, so they outlive the
 * reply topic's retention. Not thread-safe: one process works on a batch at a time.
 */
final class BatchStore {

  static final int CHUNK_LINES = 10_000;
  private static final int OPEN_WRITERS = 64;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;
  private final Path results;

  BatchStore(Path stateDir, BatchId id) {
    this.dir = stateDir.resolve(id.value());
    this.results = dir.resolve("results");
  }

  Path dir() {
    return dir;
  }

  Optional<BatchManifest> manifest() {
    try {
      return Optional.of(JSON.readValue(dir.resolve("manifest.json").toFile(), BatchManifest.class));
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new BatchException("cannot read the batch manifest in " + dir + ": " + e.getMessage(), e);
    }
  }

  void writeManifest(BatchManifest manifest) {
    writeAtomically("manifest.json", manifest);
  }

  /** Next offset to read per reply-topic partition. */
  Map<Integer, Long> offsets() {
    Path file = dir.resolve("offsets.json");
    if (!Files.exists(file)) {
      return new TreeMap<>();
    }
    try {
      return new TreeMap<>(JSON.readValue(file.toFile(), new TypeReference<Map<Integer, Long>>() { }));
    } catch (IOException e) {
      throw new BatchException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  void writeOffsets(Map<Integer, Long> offsets) {
    writeAtomically("offsets.json", offsets);
  }

  private void writeAtomically(String name, Object value) {
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(name + ".tmp");
      try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
        JSON.writeValue(new NonClosing(out), value);
        out.getFD().sync();
      }
      Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new BatchException("cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
    }
  }

  /** One collected outcome of one line. */
  record Entry(long line, String status, long costMicros, long completedAt, String json) {

    String encode() {
      return line + "\t" + status + "\t" + costMicros + "\t" + completedAt + "\t" + json;
    }

    static Entry decode(String text) {
      String[] f = text.split("\t", 5);
      return new Entry(Long.parseLong(f[0]), f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4]);
    }
  }

  /**
   * Appends entries to their chunk files; {@link #sync()} makes them durable. Entries are written
   * whole, each buffer of them in one append, so that a submission (recording invalid lines) and a
   * collection running at the same time in two processes never interleave inside a line.
   */
  Spool spool() {
    return new Spool();
  }

  final class Spool implements AutoCloseable {
    private static final int BUFFER_BYTES = 1 << 16;
    private final Map<Integer, FileOutputStream> streams = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Integer, StringBuilder> buffers = new LinkedHashMap<>();

    void append(Entry entry) {
      int chunk = chunkOf(entry.line());
      try {
        StringBuilder buffer = buffer(chunk);
        buffer.append(entry.encode()).append('\n');
        if (buffer.length() >= BUFFER_BYTES) {
          write(chunk);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write results to " + results + ": " + e.getMessage(), e);
      }
    }

    private StringBuilder buffer(int chunk) throws IOException {
      StringBuilder b = buffers.get(chunk);
      if (b != null) {
        streams.get(chunk); // an access keeps the chunk at the young end of the LRU order
        return b;
      }
      if (streams.size() >= OPEN_WRITERS) {
        int eldest = streams.keySet().iterator().next();
        closeChunk(eldest);
      }
      Files.createDirectories(results);
      streams.put(chunk, new FileOutputStream(chunkFile(chunk).toFile(), true));
      b = new StringBuilder();
      buffers.put(chunk, b);
      return b;
    }

    private void write(int chunk) throws IOException {
      StringBuilder b = buffers.get(chunk);
      if (b.length() > 0) {
        streams.get(chunk).write(b.toString().getBytes(StandardCharsets.UTF_8));
        b.setLength(0);
      }
    }

    private void closeChunk(int chunk) throws IOException {
      write(chunk);
      buffers.remove(chunk);
      FileOutputStream out = streams.remove(chunk);
      out.getFD().sync();
      out.close();
    }

    /** Writes and forces every chunk written so far to disk. */
    void sync() {
      try {
        for (int chunk : buffers.keySet()) {
          write(chunk);
          streams.get(chunk).getFD().sync();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write results to " + results + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      sync();
      try {
        for (int chunk : buffers.keySet().toArray(Integer[]::new)) {
          closeChunk(chunk);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close results in " + results + ": " + e.getMessage(), e);
      }
    }
  }

  /** Every entry of one chunk, first-written first; duplicates of a line are possible. */
  void readChunk(int chunk, java.util.function.Consumer<Entry> sink) {
    Path file = chunkFile(chunk);
    if (!Files.exists(file)) {
      return;
    }
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      while ((text = in.readLine()) != null) {
        if (!text.isEmpty()) {
          sink.accept(Entry.decode(text));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read results in " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new BatchException("damaged results file " + file + ": " + e.getMessage(), e);
    }
  }

  static int chunkOf(long line) {
    return (int) ((line - 1) / CHUNK_LINES);
  }

  static int chunkCount(long lines) {
    return (int) ((lines + CHUNK_LINES - 1) / CHUNK_LINES);
  }

  private Path chunkFile(int chunk) {
    return results.resolve(String.format("chunk-%06d.tsv", chunk));
  }

  /** Lets Jackson write without closing the stream we still need to sync. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(java.io.OutputStream out) {
      super(out);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
