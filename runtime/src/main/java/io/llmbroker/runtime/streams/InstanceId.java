package io.llmbroker.runtime.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * The identity of one Streams instance that survives its restarts: a random id created in its
 * state directory on first start and read back on every later one. Used as the consumer's
 * {@code group.instance.id} (static membership), it lets a restarted instance take its place in
 * the group at once, even after a crash, instead of waiting for the session of its previous life
 * to expire. Two instances never share a state directory (Streams locks it), so they never share
 * an id; an instance given a new, empty state directory simply joins as a new member.
 */
public final class InstanceId {

  static final String FILE = "llm-broker-instance-id";

  private InstanceId() {}

  /**
   * The id kept in {@code stateDir}, created there when missing.
   *
   * @throws UncheckedIOException when the state directory cannot be created, read or written
   */
  public static String of(Path stateDir) {
    Path file = stateDir.resolve(FILE);
    try {
      if (Files.exists(file)) {
        String kept = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!kept.isEmpty()) {
          return kept;
        }
      }
      Files.createDirectories(stateDir);
      String id = UUID.randomUUID().toString();
      // Written aside and renamed, so that a crash never leaves a half-written id behind.
      Path partial = Files.writeString(stateDir.resolve(FILE + ".tmp"), id, StandardCharsets.UTF_8);
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the instance id in " + file + ": " + e.getMessage(), e);
    }
  }
}
