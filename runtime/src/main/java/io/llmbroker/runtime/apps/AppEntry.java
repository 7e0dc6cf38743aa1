package io.llmbroker.runtime.apps;

import io.llmbroker.avro.App;
import io.llmbroker.avro.AppKey;
import io.llmbroker.schemas.signing.RequestSigning;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** One key of the apps registry as read: a usable app or a record that could not be read. */
public sealed interface AppEntry {

  /**
   * A readable app with its public keys decoded once.
   *
   * @param keys by key id; revoked keys included
   */
  record Registered(App app, Map<String, ActiveKey> keys) implements AppEntry {
    public Registered {
      keys = Map.copyOf(keys);
    }

    public Optional<ActiveKey> key(String keyId) {
      return Optional.ofNullable(keys.get(keyId));
    }
  }

  /** A public key of an app; {@code revoked} keys verify nothing. */
  record ActiveKey(String id, PublicKey publicKey, boolean revoked) {}

  /** A record that could not be read; its app is treated as unknown. */
  record Unreadable(String reason) implements AppEntry {}

  /**
   * Reads a decoded record stored under {@code key}: an app whose id differs from its key, with a
   * blank team, or with a key that is not an Ed25519 public key (or two keys of one id) is
   * unreadable, so that a half-valid record never grants anything.
   */
  static AppEntry of(String key, App app) {
    if (!key.equals(app.getId())) {
      return new Unreadable("record id '" + app.getId() + "' differs from its key");
    }
    if (app.getTeam() == null || app.getTeam().isBlank()) {
      return new Unreadable("team is blank");
    }
    Map<String, ActiveKey> keys = new HashMap<>();
    for (AppKey k : app.getKeys()) {
      PublicKey publicKey;
      try {
        publicKey = RequestSigning.publicKey(bytes(k.getPublicKey()));
      } catch (IllegalArgumentException e) {
        return new Unreadable("key '" + k.getId() + "': " + e.getMessage());
      }
      if (keys.put(k.getId(), new ActiveKey(k.getId(), publicKey, k.getRevokedAt() != null)) != null) {
        return new Unreadable("key id '" + k.getId() + "' appears twice");
      }
    }
    return new Registered(app, keys);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
