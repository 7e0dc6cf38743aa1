package io.llmbroker.audit.redaction;

import io.llmbroker.audit.config.RedactionSettings;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.runtime.redaction.Secrets;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Takes personal data out of the message content of an audit record (the request's messages,
 * the answer and tool-call arguments), by the rules of {@link RedactionSettings}: each match is
 * replaced by {@code [RULE]} or, in hash mode, by {@code [RULE:<hex>]}, the first 16 hex digits of
 * HMAC-SHA256 over the value, so that one value always gives one token. Card numbers must pass
 * Luhn and IBANs their mod-97 checksum, so that order numbers and the like stay. Thread-safe.
 */
public final class PersonalData implements Redactor {

  private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
  private static final Pattern CARD = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])");
  private static final Pattern IBAN = Pattern.compile("\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\\b");
  private static final Pattern PHONE =
      Pattern.compile("(?<![\\w+])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?\\d{2,4}(?:[ .-]?\\d{2,4}){1,4}(?!\\w)");

  /**
   * One rule: a cheap test a text must pass for the pattern to be tried at all, what it finds,
   * which matches count, and the name its replacement carries.
   */
  private record Rule(String name, Predicate<String> mayMatch, Pattern pattern, Predicate<String> accept) {}

  private static final Predicate<String> ANY = t -> true;
  private static final Predicate<String> HAS_AT = t -> t.indexOf('@') >= 0;
  private static final Predicate<String> HAS_DIGIT = t -> t.chars().anyMatch(Character::isDigit);
  /**
   * True when a text may hold one of {@link Secrets#text}'s credential shapes: each of them
   * contains one of these literals. Cheap scans, so that the shapes' regex (most of redaction's
   * cost) runs only where it can find something. Must admit every shape Secrets knows.
   */
  private static final Predicate<String> MAY_HOLD_KEY = t -> t.contains("sk-") || t.contains("AKIA")
      || t.contains("ASIA") || t.contains("AIza") || t.contains("_") || t.contains("xox") || t.contains("eyJ")
      || t.toLowerCase(Locale.ROOT).contains("bearer");

  private final List<Rule> rules = new ArrayList<>();
  private final boolean keys;
  private final SecretKeySpec hashKey;
  private final Set<String> keepContentTeams;

  public PersonalData(RedactionSettings settings) {
    List<String> on = settings.mode().equals("off") ? List.of() : settings.rules();
    // Order matters: a card or an IBAN would otherwise be read as a phone number.
    if (on.contains("email")) {
      rules.add(new Rule("EMAIL", HAS_AT, EMAIL, ANY));
    }
    if (on.contains("card")) {
      rules.add(new Rule("CARD", HAS_DIGIT, CARD, PersonalData::luhn));
    }
    if (on.contains("iban")) {
      rules.add(new Rule("IBAN", HAS_DIGIT, IBAN, PersonalData::iban));
    }
    if (on.contains("phone")) {
      rules.add(new Rule("PHONE", HAS_DIGIT, PHONE, m -> digits(m).length() >= 9 && digits(m).length() <= 15));
    }
    if (!settings.mode().equals("off")) {
      settings.patterns().forEach((name, regex) ->
          rules.add(new Rule(name.toUpperCase(Locale.ROOT), ANY, Pattern.compile(regex), ANY)));
    }
    keys = on.contains("key");
    hashKey = settings.mode().equals("hash")
        ? new SecretKeySpec(settings.hashKey().getBytes(StandardCharsets.UTF_8), "HmacSHA256") : null;
    keepContentTeams = Set.copyOf(settings.keepContentTeams());
  }

  /** The record with its content redacted; the same instance when nothing was found (the common case). */
  @Override
  public AuditRecord redact(AuditRecord audit) {
    if ((rules.isEmpty() && !keys) || keepContentTeams.contains(audit.getRequest().getTeam())) {
      return audit;
    }
    LlmRequest request = audit.getRequest();
    boolean changed = false;
    List<ChatMessage> messages = new ArrayList<>(request.getMessages().size());
    for (ChatMessage message : request.getMessages()) {
      List<ContentPart> parts = new ArrayList<>(message.getContent().size());
      boolean partsChanged = false;
      for (ContentPart part : message.getContent()) {
        String text = text(part.getText());
        partsChanged |= !Objects.equals(text, part.getText());
        parts.add(Objects.equals(text, part.getText()) ? part : ContentPart.newBuilder(part).setText(text).build());
      }
      List<ToolCall> calls = toolCalls(message.getToolCalls());
      boolean messageChanged = partsChanged || calls != message.getToolCalls();
      changed |= messageChanged;
      messages.add(messageChanged ? ChatMessage.newBuilder(message).setContent(parts).setToolCalls(calls).build() : message);
    }
    LlmResponse response = audit.getResponse();
    String content = text(response.getContent());
    List<ToolCall> answerCalls = toolCalls(response.getToolCalls());
    boolean responseChanged = !Objects.equals(content, response.getContent()) || answerCalls != response.getToolCalls();
    if (!changed && !responseChanged) {
      return audit;
    }
    return AuditRecord.newBuilder(audit)
        .setRequest(changed ? LlmRequest.newBuilder(request).setMessages(messages).build() : request)
        .setResponse(responseChanged
            ? LlmResponse.newBuilder(response).setContent(content).setToolCalls(answerCalls).build() : response)
        .build();
  }

  /** {@code text} with every match of every rule replaced; null stays null. */
  public String text(String text) {
    if (text == null) {
      return null;
    }
    String out = keys && MAY_HOLD_KEY.test(text) ? Secrets.text(text) : text;
    for (Rule rule : rules) {
      if (rule.mayMatch().test(out)) {
        out = replace(out, rule);
      }
    }
    return out;
  }

  private String replace(String text, Rule rule) {
    Matcher m = rule.pattern().matcher(text);
    StringBuilder out = null;
    int from = 0;
    while (m.find()) {
      if (!rule.accept().test(m.group())) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, from, m.start()).append(token(rule.name(), m.group()));
      from = m.end();
    }
    return out == null ? text : out.append(text, from, text.length()).toString();
  }

  private String token(String rule, String value) {
    if (hashKey == null) {
      return "[" + rule + "]";
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(hashKey);
      // Normalised first, so that "+44 20 7946 0958" and "+442079460958" give one token.
      byte[] digest = mac.doFinal(normalise(rule, value).getBytes(StandardCharsets.UTF_8));
      return "[" + rule + ":" + HexFormat.of().formatHex(digest, 0, 8) + "]";
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static String normalise(String rule, String value) {
    return switch (rule) {
      case "EMAIL" -> value.toLowerCase(Locale.ROOT);
      case "CARD", "PHONE" -> digits(value);
      case "IBAN" -> value.replace(" ", "");
      default -> value;
    };
  }

  /** The calls with their arguments redacted; the same list when nothing was found. */
  private List<ToolCall> toolCalls(List<ToolCall> calls) {
    if (calls == null) {
      return null;
    }
    List<ToolCall> out = new ArrayList<>(calls.size());
    boolean changed = false;
    for (ToolCall call : calls) {
      String arguments = text(call.getArguments());
      changed |= !arguments.equals(call.getArguments());
      out.add(arguments.equals(call.getArguments()) ? call : ToolCall.newBuilder(call).setArguments(arguments).build());
    }
    return changed ? out : calls;
  }

  private static String digits(String s) {
    return s.replaceAll("\\D", "");
  }

  /** The Luhn check of card numbers. */
  static boolean luhn(String candidate) {
    String digits = digits(candidate);
    if (digits.length() < 13 || digits.length() > 19) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(digits.length() - 1 - i) - '0';
      if (i % 2 == 1) {
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      }
      sum += d;
    }
    return sum % 10 == 0;
  }

  /** The ISO 13616 check: the rearranged IBAN read as a number is 1 modulo 97. */
  static boolean iban(String candidate) {
    String iban = candidate.replace(" ", "");
    if (iban.length() < 15 || iban.length() > 34) {
      return false;
    }
    String rearranged = iban.substring(4) + iban.substring(0, 4);
    int mod = 0;
    for (char c : rearranged.toCharArray()) {
      int v = Character.isDigit(c) ? c - '0' : c - 'A' + 10;
      mod = v >= 10 ? (mod * 100 + v) % 97 : (mod * 10 + v) % 97;
    }
    return mod == 1;
  }
}
