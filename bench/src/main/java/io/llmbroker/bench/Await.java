package io.llmbroker.bench;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline, checked every 50 ms. Stateless. */
final class Await {

  private Await() {}

  /**
   * Returns once {@code condition} holds.
   *
   * @throws IllegalStateException naming {@code what} when it does not hold within {@code timeout}
   */
  static void until(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(what + " did not happen within " + timeout.toSeconds() + "s");
      }
      Thread.sleep(50);
    }
  }
}
