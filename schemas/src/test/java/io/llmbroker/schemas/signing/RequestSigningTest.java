package io.llmbroker.schemas.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.RequestSignature;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestSigningTest {

  /** The README's test vector: private key seed 00 01 02 .. 1f. */
  static final String PRIVATE_KEY = "MC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";
  static final String PUBLIC_KEY = "MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
  static final String SIGNED_BYTES = "6c6c6d2d62726f6b65722072657175657374207369676e61747572652076310a"
      + "000000057265712d31" + "00000006736561726368" + "0000000672616e6b6572" + "ffffffff" + "0000000466617374"
      + "000000186c6c6d2e72657175657374732e696e746572616374697665" + "0000000d31373637323235363030303030";
  static final String SIGNATURE = "7V5G2MBljIsHuXPhXsX1jD6aSU2dcRd4na+zUypvbPCKxakNkgdcFSp89LCJMaidJ812q9HzK9i7CkSnnDOFDw==";
  static final String TOPIC = "llm.requests.interactive";

  private static LlmRequest vectorRequest() {
    return LlmRequest.newBuilder()
        .setId("req-1").setTeam("search").setApp("ranker").setCustomer(null).setModel("fast")
        .setMessages(List.of(ChatMessage.newBuilder().setRole("user").build()))
        .setReplyTo("svc").setCreatedAt(1767225600000L)
        .build();
  }

  @Test
  void theReadmeTestVectorHolds() throws Exception {
    PrivateKey key = RequestSigning.privateKey(PRIVATE_KEY);
    KeyPair derived = pairFromSeed(HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));

    byte[] signed = RequestSigning.signedBytes(vectorRequest(), TOPIC);
    RequestSignature signature = RequestSigning.sign(vectorRequest(), TOPIC, "k-test", key);

    assertThat(derived.getPrivate().getEncoded()).isEqualTo(key.getEncoded());
    assertThat(Base64.getEncoder().encodeToString(derived.getPublic().getEncoded())).isEqualTo(PUBLIC_KEY);
    assertThat(HexFormat.of().formatHex(signed)).isEqualTo(SIGNED_BYTES);
    assertThat(Base64.getEncoder().encodeToString(signature.getValue().array())).isEqualTo(SIGNATURE);
    LlmRequest request = vectorRequest();
    request.setSignature(signature);
    assertThat(RequestSigning.verify(request, TOPIC, RequestSigning.publicKey(Base64.getDecoder().decode(PUBLIC_KEY))))
        .isTrue();
  }

  @Test
  void everySignedFieldAndTheTopicChangeTheSignedBytes() {
    byte[] base = RequestSigning.signedBytes(vectorRequest(), TOPIC);
    List<LlmRequest> changed = List.of(
        LlmRequest.newBuilder(vectorRequest()).setId("req-2").build(),
        LlmRequest.newBuilder(vectorRequest()).setTeam("other").build(),
        LlmRequest.newBuilder(vectorRequest()).setApp("other").build(),
        LlmRequest.newBuilder(vectorRequest()).setCustomer("").build(),
        LlmRequest.newBuilder(vectorRequest()).setModel("big").build(),
        LlmRequest.newBuilder(vectorRequest()).setCreatedAt(1767225600001L).build());

    assertThat(changed).allSatisfy(r -> assertThat(RequestSigning.signedBytes(r, TOPIC)).isNotEqualTo(base));
    assertThat(RequestSigning.signedBytes(vectorRequest(), "llm.requests.batch")).isNotEqualTo(base);
  }

  @Test
  void aSignatureDoesNotVerifyForAnotherTopicOrKeyOrWhenTampered() {
    KeyPair pair = RequestSigning.generateKeyPair();
    KeyPair other = RequestSigning.generateKeyPair();
    LlmRequest request = vectorRequest();
    request.setSignature(RequestSigning.sign(request, TOPIC, RequestSigning.keyId(pair.getPublic()), pair.getPrivate()));

    assertThat(RequestSigning.verify(request, TOPIC, pair.getPublic())).isTrue();
    assertThat(RequestSigning.verify(request, "llm.requests.batch", pair.getPublic())).isFalse();
    assertThat(RequestSigning.verify(request, TOPIC, other.getPublic())).isFalse();
    LlmRequest tampered = LlmRequest.newBuilder(request).setTeam("billing").build();
    assertThat(RequestSigning.verify(tampered, TOPIC, pair.getPublic())).isFalse();
    LlmRequest garbage = LlmRequest.newBuilder(request)
        .setSignature(RequestSignature.newBuilder().setKeyId("k").setValue(ByteBuffer.wrap(new byte[3])).build()).build();
    assertThat(RequestSigning.verify(garbage, TOPIC, pair.getPublic())).isFalse();
  }

  @Test
  void aBadPrivateKeyIsRefusedWithoutEchoingIt() {
    assertThatThrownBy(() -> RequestSigning.privateKey("c2VjcmV0LXNlY3JldA=="))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("c2VjcmV0LXNlY3JldA==");
  }

  /** The JDK draws an Ed25519 private key as 32 bytes from its random source: hand it the seed. */
  private static KeyPair pairFromSeed(byte[] seed) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    generator.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        System.arraycopy(seed, 0, bytes, 0, bytes.length);
      }
    });
    return generator.generateKeyPair();
  }
}
