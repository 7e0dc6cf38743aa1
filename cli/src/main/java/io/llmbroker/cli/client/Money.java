package io.llmbroker.cli.client;

import java.math.BigDecimal;

/** Formats micro-dollars for people. */
final class Money {

  private Money() {}

  static String usd(long micros) {
    return "$" + BigDecimal.valueOf(micros, 6).toPlainString();
  }
}
