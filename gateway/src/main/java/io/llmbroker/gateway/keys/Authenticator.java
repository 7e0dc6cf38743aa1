package io.llmbroker.gateway.keys;

import io.llmbroker.avro.VirtualKey;
import io.llmbroker.gateway.http.OpenAiError;
import io.llmbroker.runtime.apps.AppEntry;
import io.llmbroker.runtime.apps.AppLookup;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Clock;

/**
 * Turns an {@code Authorization: Bearer} header into a {@link Caller} by the apps registry as it is
 * now, so that a revocation or an expiry counts from the next request on. Thread-safe.
 */
public final class Authenticator {

  private final AppLookup apps;
  private final Clock clock;

  public Authenticator(AppLookup apps, Clock clock) {
    this.apps = apps;
    this.clock = clock;
  }

  /**
   * @throws OpenAiError 401 {@code invalid_api_key} for a missing, unknown, revoked or expired key,
   *     or a key of a revoked or unreadable app; the message never repeats the token
   */
  public Caller authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw OpenAiError.unauthorized("You didn't provide an API key. Provide it in the Authorization header "
          + "(Authorization: Bearer YOUR_KEY).");
    }
    String token = authorization.substring(7).trim();
    AppEntry entry = VirtualKeyTokens.appOf(token).flatMap(apps::find).orElse(null);
    if (!(entry instanceof AppEntry.Registered registered)) {
      throw incorrect();
    }
    byte[] hash = VirtualKeyTokens.sha256(token);
    VirtualKey key = registered.app().getVirtualKeys().stream()
        .filter(k -> MessageDigest.isEqual(bytes(k.getTokenSha256()), hash))
        .findFirst()
        .orElseThrow(Authenticator::incorrect);
    if (key.getRevokedAt() != null) {
      throw OpenAiError.unauthorized("The API key " + key.getId() + " has been revoked.");
    }
    if (key.getExpiresAt() != null && key.getExpiresAt() <= clock.millis()) {
      throw OpenAiError.unauthorized("The API key " + key.getId() + " has expired.");
    }
    if (registered.app().getRevokedAt() != null) {
      throw OpenAiError.unauthorized("The app of API key " + key.getId() + " has been revoked.");
    }
    return new Caller(registered.app(), key);
  }

  private static OpenAiError incorrect() {
    return OpenAiError.unauthorized("Incorrect API key provided.");
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}
