package io.llmbroker.gateway.config;

import io.llmbroker.client.RequestSigner;
import io.llmbroker.schemas.Topics;
import java.time.Duration;
import java.util.List;

/**
 * The {@code gateway:} section.
 *
 * @param service the reply_to service of every instance: replies arrive on {@code llm.responses.<service>}
 * @param defaultTimeout how long a request waits for its reply when the caller names no deadline or timeout
 * @param maxTimeout the longest wait a caller may ask for
 * @param maxBodyBytes the largest request body; larger ones get 413 before anything reaches Kafka
 * @param models what {@code GET /v1/models} lists for an app allowed any model ({@code *})
 * @param signingKeyId the id of the gateway's own Ed25519 key, as registered in the apps it serves; null: unsigned
 * @param signingKey the gateway's private key (base64 PKCS#8); a secret, never shown by {@link #toString()}
 * @param maxFileBytes the largest file {@code POST /v1/files} takes
 */
public record GatewaySettings(String service, Duration defaultTimeout, Duration maxTimeout, Integer maxBodyBytes,
    List<String> models, String signingKeyId, String signingKey, Integer maxFileBytes) {

  public GatewaySettings {
    service = service == null ? "gateway" : service;
    if (!Topics.SERVICE_NAME.matcher(service).matches()) {
      throw new IllegalArgumentException("service must match " + Topics.SERVICE_NAME + ": '" + service + "'");
    }
    defaultTimeout = defaultTimeout == null ? Duration.ofSeconds(60) : defaultTimeout;
    maxTimeout = maxTimeout == null ? Duration.ofMinutes(10) : maxTimeout;
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("default-timeout must be > 0: " + defaultTimeout);
    }
    if (maxTimeout.compareTo(defaultTimeout) < 0) {
      throw new IllegalArgumentException("max-timeout must be >= default-timeout (" + defaultTimeout + "): " + maxTimeout);
    }
    maxBodyBytes = maxBodyBytes == null ? 1_000_000 : maxBodyBytes;
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException("max-body-bytes must be >= 1024: " + maxBodyBytes);
    }
    models = models == null ? List.of() : List.copyOf(models);
    maxFileBytes = maxFileBytes == null ? 50_000_000 : maxFileBytes;
    if (maxFileBytes < 1024 || maxFileBytes > Topics.GATEWAY_FILE_MAX_BYTES) {
      throw new IllegalArgumentException("max-file-bytes must be between 1024 and " + Topics.GATEWAY_FILE_MAX_BYTES + ": "
          + maxFileBytes);
    }
    if (signingKeyId != null && signingKeyId.isBlank()) {
      signingKeyId = null;
    }
    if (signingKey != null && signingKey.isBlank()) {
      signingKey = null;
    }
    if ((signingKeyId == null) != (signingKey == null)) {
      throw new IllegalArgumentException("signing-key-id and signing-key go together: signing-key-id '" + signingKeyId
          + "', signing-key " + (signingKey == null ? "absent" : "present"));
    }
    if (signingKey != null) {
      try {
        RequestSigner.of(signingKeyId, signingKey);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("signing-key: " + e.getMessage() + " (value not shown)");
      }
    }
  }

  public static GatewaySettings defaults() {
    return new GatewaySettings(null, null, null, null, null, null, null, null);
  }

  @Override
  public String toString() {
    return "GatewaySettings[service=" + service + ", defaultTimeout=" + defaultTimeout + ", maxTimeout=" + maxTimeout
        + ", maxBodyBytes=" + maxBodyBytes + ", maxFileBytes=" + maxFileBytes + ", models=" + models + ", signingKeyId=" + signingKeyId + ", signingKey="
        + (signingKey == null ? null : "***") + "]";
  }
}
