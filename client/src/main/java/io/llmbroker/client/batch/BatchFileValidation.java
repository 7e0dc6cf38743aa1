package io.llmbroker.client.batch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The result of reading a whole batch file before anything is enqueued: every bad line with its
 * number and reason, duplicate custom_ids included, and the file's SHA-256 (which ties a
 * re-submission to the same input).
 *
 * <p>Memory stays small for a million lines: bodies are parsed and dropped line by line, and
 * duplicates are found from 8 bytes of hash per line, sorted; only lines whose hash collides
 * are re-read to confirm and name them. Immutable.
 *
 * @param file the input file
 * @param lines how many lines it has
 * @param errors every bad line, in line order
 * @param sha256 hex digest of the file's bytes
 */
public record BatchFileValidation(Path file, long lines, List<LineError> errors, String sha256) {

  public BatchFileValidation {
    errors = List.copyOf(errors);
  }

  public boolean valid() {
    return errors.isEmpty();
  }

  /** The numbers of the bad lines. */
  public BitSet invalidLines() {
    BitSet bits = new BitSet();
    errors.forEach(e -> bits.set(Math.toIntExact(e.line())));
    return bits;
  }

  /**
   * Reads and checks every line of {@code file}.
   *
   * @param modelRequired whether each body must name a model
   * @throws UncheckedIOException when the file cannot be read
   */
  public static BatchFileValidation validate(Path file, boolean modelRequired, ProgressListener progress) {
    long size = sizeOf(file);
    List<LineError> errors = new ArrayList<>();
    long[] hashes = new long[1024];
    long lines = 0;
    MessageDigest sha = newSha256();
    try (CountingStream counting = new CountingStream(new DigestInputStream(Files.newInputStream(file), sha));
        BufferedReader in = new BufferedReader(new InputStreamReader(counting, StandardCharsets.UTF_8), 1 << 16)) {
      String text;
      while ((text = in.readLine()) != null) {
        lines++;
        try {
          BatchLine line = OpenAiBatchFormat.parse(text, lines, modelRequired);
          if (lines >= hashes.length) {
            hashes = Arrays.copyOf(hashes, hashes.length * 2);
          }
          hashes[(int) lines] = hash64(line.customId());
        } catch (InvalidLineException e) {
          errors.add(new LineError(lines, e.customId(), e.getMessage()));
        }
        if ((lines & 1023) == 0) {
          progress.progress(counting.count(), size);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read batch file " + file + ": " + e.getMessage(), e);
    }
    progress.progress(size, size);
    BitSet invalid = new BitSet();
    errors.forEach(e -> invalid.set((int) e.line()));
    Set<Long> colliding = collisions(hashes, lines, invalid);
    if (!colliding.isEmpty()) {
      errors.addAll(duplicates(file, colliding, modelRequired));
      errors.sort(Comparator.comparingLong(LineError::line));
    }
    return new BatchFileValidation(file, lines, errors, HexFormat.of().formatHex(sha.digest()));
  }

  private static Set<Long> collisions(long[] hashes, long lines, BitSet invalid) {
    long[] sorted = new long[(int) lines - invalid.cardinality()];
    int n = 0;
    for (int i = 1; i <= lines; i++) {
      if (!invalid.get(i)) {
        sorted[n++] = hashes[i];
      }
    }
    Arrays.sort(sorted);
    Set<Long> colliding = new HashSet<>();
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i] == sorted[i - 1]) {
        colliding.add(sorted[i]);
      }
    }
    return colliding;
  }

  private static List<LineError> duplicates(Path file, Set<Long> colliding, boolean modelRequired) {
    List<LineError> found = new ArrayList<>();
    Map<String, Long> firstSeen = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      long lineNo = 0;
      while ((text = in.readLine()) != null) {
        lineNo++;
        try {
          String customId = OpenAiBatchFormat.parse(text, lineNo, modelRequired).customId();
          if (colliding.contains(hash64(customId))) {
            Long first = firstSeen.putIfAbsent(customId, lineNo);
            if (first != null) {
              found.add(new LineError(lineNo, customId, "duplicate custom_id '" + customId + "' (first at line " + first + ")"));
            }
          }
        } catch (InvalidLineException e) {
          // already reported by the first pass
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read batch file " + file + ": " + e.getMessage(), e);
    }
    return found;
  }

  private static long hash64(String customId) {
    byte[] digest = newSha256().digest(customId.getBytes(StandardCharsets.UTF_8));
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (digest[i] & 0xff);
    }
    return h;
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read batch file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Counts bytes read, so progress can be shown against the file size. */
  private static final class CountingStream extends java.io.FilterInputStream {
    private long count;

    CountingStream(java.io.InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    long count() {
      return count;
    }
  }
}
