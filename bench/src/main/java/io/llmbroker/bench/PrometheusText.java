package io.llmbroker.bench;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one metric out of the Prometheus text exposition format. The JDK has no parser for it
 * and the Prometheus client library only writes it, so these few lines are by hand. Stateless.
 */
final class PrometheusText {

  private PrometheusText() {}

  /** The sum of every series of {@code name} (any labels); empty when there is none. */
  static OptionalDouble sum(String exposition, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})?\\s+([-+0-9.eE]+|NaN)(?:\\s+\\d+)?$")
        .matcher(exposition);
    double total = 0;
    boolean found = false;
    while (m.find()) {
      if (!m.group(1).equals("NaN")) {
        total += Double.parseDouble(m.group(1));
        found = true;
      }
    }
    return found ? OptionalDouble.of(total) : OptionalDouble.empty();
  }
}
