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
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Ed25519 request signatures. Keys are the JDK's types and encodings; signing and verifying use
 * Bouncy Castle's RFC 8032 implementation, several times faster than the JDK's (see
 * docs/BENCHMARKS.md), which matters because a worker verifies every signed request. The signed bytes are the prefix
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
  /** An Ed25519 public key in X.509 DER is a fixed 12-byte header and the 32 key bytes. */
  private static final int X509_PREFIX_LENGTH = 12;

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
    byte[] seed = key instanceof EdECPrivateKey ed && ed.getParams().getName().equalsIgnoreCase(ALGORITHM)
        ? ed.getBytes().orElse(null) : null;
    if (seed == null || seed.length != Ed25519.SECRET_KEY_SIZE) {
      throw new IllegalArgumentException("cannot sign with this key: an Ed25519 private key is needed");
    }
    byte[] message = signedBytes(request, topic);
    byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
    Ed25519.sign(seed, 0, message, 0, message.length, signature, 0);
    return RequestSignature.newBuilder().setKeyId(keyId).setValue(ByteBuffer.wrap(signature)).build();
  }

  /** True when the request's signature is {@code key}'s over the request on {@code topic}. */
  public static boolean verify(LlmRequest request, String topic, PublicKey key) {
    RequestSignature signature = request.getSignature();
    byte[] encoded = key.getEncoded();
    if (signature == null || signature.getValue() == null || signature.getValue().remaining() != Ed25519.SIGNATURE_SIZE
        || encoded == null || encoded.length != X509_PREFIX_LENGTH + Ed25519.PUBLIC_KEY_SIZE) {
      return false;
    }
    ByteBuffer value = signature.getValue().duplicate();
    byte[] bytes = new byte[Ed25519.SIGNATURE_SIZE];
    value.get(bytes);
    byte[] message = signedBytes(request, topic);
    return Ed25519.verify(bytes, 0, encoded, X509_PREFIX_LENGTH, message, 0, message.length);
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
    if (x509 == null || x509.length != X509_PREFIX_LENGTH + Ed25519.PUBLIC_KEY_SIZE) {
      throw new IllegalArgumentException("not an Ed25519 public key (44 bytes of X.509 DER expected): "
          + (x509 == null ? "none" : x509.length + " bytes"));
    }
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
