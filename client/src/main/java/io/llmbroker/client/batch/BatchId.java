package io.llmbroker.client.batch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of one batch, and the deterministic request ids derived from it.
 *
 * <p>A request id is {@code <batch id>-<line>-<hash of custom_id>}: re-submitting the same input
 * under the same batch id yields the same ids, so every downstream de-duplication by request id
 * (cost rollups, the audit archive, result collection) counts a line once. The line number in
 * the id lets results be sorted back into input order on disk, without an in-memory index.
 *
 * @param value letters, digits, {@code _} and {@code -}, at most 64 characters, starting with a
 *     letter or digit (it becomes part of the reply topic's name)
 */
public record BatchId(String value) {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  public BatchId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException("batch id must match " + VALID + ": '" + value + "'");
    }
  }

  /** A fresh id such as {@code b20261123-101500-k3x9qa}. */
  public static BatchId generate(Clock clock) {
    String alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
    StringBuilder suffix = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      suffix.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return new BatchId("b" + STAMP.format(clock.instant()) + "-" + suffix);
  }

  /** The reply_to service of this batch: its replies go to {@code llm.responses.batch-<id>}. */
  public String replyService() {
    return "batch-" + value;
  }

  /** The request id of input line {@code line} (1-based) carrying {@code customId}. */
  public String requestId(long line, String customId) {
    return value + "-" + line + "-" + hash(customId);
  }

  /** The line a request id of this batch names, or empty when the id is not one of this batch. */
  public OptionalLong lineOf(String requestId) {
    if (requestId == null || !requestId.startsWith(value + "-")) {
      return OptionalLong.empty();
    }
    Matcher m = ID_TAIL.matcher(requestId).region(value.length() + 1, requestId.length());
    return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  private static final Pattern ID_TAIL = Pattern.compile("(\\d{1,18})-[0-9a-f]{12}");

  private static String hash(String customId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(customId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
