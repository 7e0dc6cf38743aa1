package io.llmbroker.gateway.keys;

import io.llmbroker.avro.Priority;
import io.llmbroker.avro.VirtualKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The bearer tokens of virtual keys: {@code llmb.<app id, base64url>.<32 random bytes, base64url>}.
 * The app id inside lets the gateway find the app's record directly; the random part is what
 * makes it secret. Only the SHA-256 of the whole token is stored. Thread-safe.
 */
public final class VirtualKeyTokens {

  private static final String SCHEME = "llmb";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private VirtualKeyTokens() {}

  /** A new key of {@code appId}: the record to store and the token to print once. */
  public static NewKey create(String appId, String customer, Priority priority, Long expiresAt, long now) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String token = SCHEME + "." + B64.encodeToString(appId.getBytes(StandardCharsets.UTF_8)) + "." + B64.encodeToString(secret);
    byte[] hash = sha256(token);
    VirtualKey key = VirtualKey.newBuilder()
        .setId("vk-" + HexFormat.of().formatHex(hash, 0, 6))
        .setTokenSha256(ByteBuffer.wrap(hash))
        .setCustomer(customer)
        .setPriority(priority)
        .setCreatedAt(now)
        .setExpiresAt(expiresAt)
        .build();
    return new NewKey(key, token);
  }

  /** The app id a well-formed token names; empty for anything else. */
  public static Optional<String> appOf(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || !parts[0].equals(SCHEME) || parts[1].isEmpty() || parts[2].isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  public static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** A created key: {@code key} is stored, {@code token} only printed. */
  public record NewKey(VirtualKey key, String token) {
    @Override
    public String toString() {
      return "NewKey[" + key.getId() + "]";
    }
  }
}
