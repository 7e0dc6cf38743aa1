package io.llmbroker.client;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.schemas.signing.RequestSigning;
import java.security.PrivateKey;
import java.util.Objects;

/**
 * Signs requests with an app's Ed25519 private key, as workers with {@code require-signature}
 * expect (the README's wire-format section defines the signed bytes). The key never leaves this
 * object: {@link #toString()} shows the key id only.
 *
 * <p>Thread-safe.
 */
public final class RequestSigner {

  private final String keyId;
  private final PrivateKey key;

  /**
   * @param keyId the id under which the app's registry record lists the matching public key
   */
  public RequestSigner(String keyId, PrivateKey key) {
    if (keyId == null || keyId.isBlank()) {
      throw new IllegalArgumentException("signing key id must not be blank: '" + keyId + "'");
    }
    this.keyId = keyId;
    this.key = Objects.requireNonNull(key, "key");
  }

  /**
   * A signer from the private key as {@code llm-broker apps} prints it (base64 PKCS#8).
   *
   * @throws IllegalArgumentException when the text is not an Ed25519 private key; the message never contains it
   */
  public static RequestSigner of(String keyId, String base64Pkcs8) {
    return new RequestSigner(keyId, RequestSigning.privateKey(Objects.requireNonNull(base64Pkcs8, "private key")));
  }

  /** A copy of {@code request} signed for publication on {@code topic} (the full topic name). */
  public LlmRequest sign(LlmRequest request, String topic) {
    LlmRequest signed = LlmRequest.newBuilder(request).build();
    signed.setSignature(RequestSigning.sign(request, topic, keyId, key));
    return signed;
  }

  public String keyId() {
    return keyId;
  }

  @Override
  public String toString() {
    return "RequestSigner[keyId=" + keyId + "]";
  }
}
