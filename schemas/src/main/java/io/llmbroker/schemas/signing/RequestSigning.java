package io.llmbroker.schemas.signing;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.RequestSignature;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 request signatures, the JDK's own implementation. The signed bytes are the prefix
 * {@value #PREFIX} followed by each of id, team, app, customer, model, the full name of the
 * topic the request is published to, and created_at (decimal digits), each as a 4-byte
 * big-endian length and its UTF-8 bytes; an absent customer is the length {@code 0xFFFFFFFF}
 * and no bytes. The README's wire-format section has a test vector.
 *
 * <p>Stateless and thread-safe.
 */
public final class RequestSigning {

  /** The bytes every signed message starts with, so that a signature means nothing elsewhere. */
  public static final String PREFIX = "llm-broker request signature v1\n";
  private static final String ALGORITHM = "Ed25519";
  private static final int ABSENT = -1;

  private RequestSigning() {
  }

  /** The bytes a signature of {@code request}, published on {@code topic}, covers. */
  public static byte[] signedBytes(LlmRequest request, String topic) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.writeBytes(PREFIX.getBytes(StandardCharsets.US_ASCII));
    for (String field : new String[] {request.getId(), request.getTeam(), request.getApp(), request.getCustomer(),
        request.getModel(), topic, Long.toString(request.getCreatedAt())}) {
      if (field == null) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(ABSENT).array());
      } else {
        byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
      }
    }
    return out.toByteArray();
  }

  /** The signature of {@code request} on {@code topic} by key {@code keyId}. */
  public static RequestSignature sign(LlmRequest request, String topic, String keyId, PrivateKey key) {
    try {
      Signature signer = Signature.getInstance(ALGORITHM);
      signer.initSign(key);
      signer.update(signedBytes(request, topic));
      return RequestSignature.newBuilder().setKeyId(keyId).setValue(ByteBuffer.wrap(signer.sign())).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key (an Ed25519 private key is needed): "
          + e.getClass().getSimpleName(), e);
    }
  }

  /** True when the request's signature is {@code key}'s over the request on {@code topic}. */
  public static boolean verify(LlmRequest request, String topic, PublicKey key) {
    RequestSignature signature = request.getSignature();
    if (signature == null || signature.getValue() == null) {
      return false;
    }
    ByteBuffer value = signature.getValue().duplicate();
    byte[] bytes = new byte[value.remaining()];
    value.get(bytes);
    try {
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(key);
      verifier.update(signedBytes(request, topic));
      return verifier.verify(bytes);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** A fresh Ed25519 key pair. */
  public static KeyPair generateKeyPair() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no Ed25519", e);
    }
  }

  /**
   * Reads an Ed25519 public key in X.509 SubjectPublicKeyInfo DER form.
   *
   * @throws IllegalArgumentException when the bytes are not one
   */
  public static PublicKey publicKey(byte[] x509) {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not an Ed25519 public key (X.509 DER expected): " + e.getMessage(), e);
    }
  }

  /**
   * Reads an Ed25519 private key, PKCS#8 DER in base64 as {@code llm-broker apps} prints it.
   * The exception never contains the key.
   *
   * @throws IllegalArgumentException when the text is not one
   */
  public static PrivateKey privateKey(String base64Pkcs8) {
    try {
      byte[] der = Base64.getDecoder().decode(base64Pkcs8.strip());
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not an Ed25519 private key (base64 PKCS#8 expected)");
    }
  }

  /** The private key as {@link #privateKey} reads it. */
  public static String encodePrivateKey(PrivateKey key) {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /** A short stable id for a public key: {@code k-} and the first 8 bytes of its SHA-256, in hex. */
  public static String keyId(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return "k-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }
}
