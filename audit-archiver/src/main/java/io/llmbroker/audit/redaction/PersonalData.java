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

  /** One rule: what it finds, which matches count, and the name its replacement carries. */
  private record Rule(String name, Pattern pattern, Predicate<String> accept) {}

  private final List<Rule> rules = new ArrayList<>();
  private final boolean keys;
  private final SecretKeySpec hashKey;
  private final Set<String> keepContentTeams;

  public PersonalData(RedactionSettings settings) {
    List<String> on = settings.mode().equals("off") ? List.of() : settings.rules();
    // Order matters: a card or an IBAN would otherwise be read as a phone number.
    if (on.contains("email")) {
      rules.add(new Rule("EMAIL", EMAIL, m -> true));
    }
    if (on.contains("card")) {
      rules.add(new Rule("CARD", CARD, PersonalData::luhn));
    }
    if (on.contains("iban")) {
      rules.add(new Rule("IBAN", IBAN, PersonalData::iban));
    }
    if (on.contains("phone")) {
      rules.add(new Rule("PHONE", PHONE, m -> digits(m).length() >= 9 && digits(m).length() <= 15));
    }
    if (!settings.mode().equals("off")) {
      settings.patterns().forEach((name, regex) ->
          rules.add(new Rule(name.toUpperCase(Locale.ROOT), Pattern.compile(regex), m -> true)));
    }
    keys = on.contains("key");
    hashKey = settings.mode().equals("hash")
        ? new SecretKeySpec(settings.hashKey().getBytes(StandardCharsets.UTF_8), "HmacSHA256") : null;
    keepContentTeams = Set.copyOf(settings.keepContentTeams());
  }

  @Override
  public AuditRecord redact(AuditRecord audit) {
    if ((rules.isEmpty() && !keys) || keepContentTeams.contains(audit.getRequest().getTeam())) {
      return audit;
    }
    LlmRequest request = audit.getRequest();
    List<ChatMessage> messages = new ArrayList<>(request.getMessages().size());
    for (ChatMessage message : request.getMessages()) {
      List<ContentPart> parts = message.getContent().stream()
          .map(p -> p.getText() == null ? p : ContentPart.newBuilder(p).setText(text(p.getText())).build())
          .toList();
      messages.add(ChatMessage.newBuilder(message).setContent(parts).setToolCalls(toolCalls(message.getToolCalls()))
          .build());
    }
    LlmResponse response = LlmResponse.newBuilder(audit.getResponse())
        .setContent(text(audit.getResponse().getContent()))
        .setToolCalls(toolCalls(audit.getResponse().getToolCalls()))
        .build();
    return AuditRecord.newBuilder(audit)
        .setRequest(LlmRequest.newBuilder(request).setMessages(messages).build())
        .setResponse(response)
        .build();
  }

  /** {@code text} with every match of every rule replaced; null stays null. */
  public String text(String text) {
    if (text == null) {
      return null;
    }
    String out = keys ? Secrets.text(text) : text;
    for (Rule rule : rules) {
      out = replace(out, rule);
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

  private List<ToolCall> toolCalls(List<ToolCall> calls) {
    return calls == null ? null
        : calls.stream().map(c -> ToolCall.newBuilder(c).setArguments(text(c.getArguments())).build()).toList();
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
