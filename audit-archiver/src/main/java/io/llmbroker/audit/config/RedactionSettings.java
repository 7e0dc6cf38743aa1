package io.llmbroker.audit.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What personal data is taken out of message content before anything is archived.
 *
 * @param mode {@code redact} (replace by {@code [EMAIL]}, ...), {@code hash} (replace by a keyed
 *     hash of the value, {@code [EMAIL:3f2a...]}, so that equal values still join) or {@code off}
 * @param hashKey the HMAC key for {@code hash}: a secret, at least 16 characters, never logged
 * @param rules the built-in rules applied: {@code email}, {@code phone}, {@code card} (Luhn-checked),
 *     {@code iban} (checksum-checked), {@code key} (credential-shaped strings); all by default
 * @param patterns extra rules, name → Java regex; a match is replaced by {@code [NAME]} (or its hash)
 * @param keepContentTeams teams whose message content is archived as it is (credentials are
 *     still removed from tags and errors)
 */
public record RedactionSettings(String mode, String hashKey, List<String> rules, Map<String, String> patterns,
    List<String> keepContentTeams) {

  /** The built-in rules. */
  public static final Set<String> RULES = Set.of("email", "phone", "card", "iban", "key");

  public RedactionSettings {
    mode = mode == null ? "redact" : mode;
    hashKey = hashKey == null ? "" : hashKey;
    rules = rules == null ? List.of("email", "phone", "card", "iban", "key") : List.copyOf(rules);
    patterns = patterns == null ? Map.of() : new LinkedHashMap<>(patterns);
    keepContentTeams = keepContentTeams == null ? List.of() : List.copyOf(keepContentTeams);
    if (!Set.of("redact", "hash", "off").contains(mode)) {
      throw new IllegalArgumentException("mode must be redact, hash or off: " + mode);
    }
    // The key itself is never put into a message.
    if (mode.equals("hash") && hashKey.length() < 16) {
      throw new IllegalArgumentException("hash-key must be set, at least 16 characters, when mode is hash (it has "
          + hashKey.length() + ")");
    }
    for (String rule : rules) {
      if (!RULES.contains(rule)) {
        throw new IllegalArgumentException("rules: unknown rule '" + rule + "'; known: " + RULES);
      }
    }
    for (Map.Entry<String, String> p : patterns.entrySet()) {
      try {
        Pattern.compile(p.getValue());
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("patterns." + p.getKey() + " is not a valid regex: " + p.getValue()
            + " (" + e.getDescription() + ")");
      }
    }
    patterns = Map.copyOf(patterns);
  }

  /** Leaves the hash key out: it is a secret. */
  @Override
  public String toString() {
    return "RedactionSettings[mode=" + mode + ", hashKey=" + (hashKey.isEmpty() ? "" : "[REDACTED]") + ", rules="
        + rules + ", patterns=" + patterns + ", keepContentTeams=" + keepContentTeams + "]";
  }
}
