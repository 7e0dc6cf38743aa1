package io.llmbroker.worker.limits;

import io.llmbroker.avro.Priority;

/**
 * The guaranteed fraction of a lane's admissions for each priority class while that class has
 * requests waiting. Fractions in [0, 1], summing to at most 1.
 */
public record MinShares(double interactive, double standard, double batch) {

  public MinShares {
    check("interactive", interactive);
    check("standard", standard);
    check("batch", batch);
    if (interactive + standard + batch > 1.0 + 1e-9) {
      throw new IllegalArgumentException("min shares must sum to at most 1: " + (interactive + standard + batch));
    }
  }

  /** Strict priority: no class is guaranteed anything. */
  public static MinShares none() {
    return new MinShares(0, 0, 0);
  }

  public double of(Priority priority) {
    return switch (priority) {
      case INTERACTIVE -> interactive;
      case STANDARD -> standard;
      case BATCH -> batch;
    };
  }

  private static void check(String name, double v) {
    if (!(v >= 0.0 && v <= 1.0)) {
      throw new IllegalArgumentException(name + " share must be between 0 and 1: " + v);
    }
  }
}
