package io.llmbroker.worker.routing;

import io.llmbroker.avro.ErrorClass;

/**
 * The cool-down state of one deployment, a circuit breaker: closed while calls work; open for
 * the cool-down after {@code threshold} consecutive failures that say the deployment is unwell
 * (rate limits, transient faults, timeouts, credential and quota failures, not caller faults);
 * then half-open, letting one probe call through whose result closes or re-opens it.
 * Thread-safe.
 */
final class DeploymentHealth {

  private enum State { CLOSED, OPEN, HALF_OPEN }

  private final int threshold;
  private final long cooldownMillis;
  private final Runnable onOpen;
  private State state = State.CLOSED;
  private int failures;
  private long openUntil;
  private boolean probing;

  DeploymentHealth(int threshold, long cooldownMillis, Runnable onOpen) {
    this.threshold = threshold;
    this.cooldownMillis = cooldownMillis;
    this.onOpen = onOpen;
  }

  /** Whether a call may go to the deployment now; true for a probe reserves it. */
  synchronized boolean tryEnter(long now) {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (now < openUntil) {
          return false;
        }
        state = State.HALF_OPEN;
        probing = true;
        return true;
      default:
        if (probing) {
          return false;
        }
        probing = true;
        return true;
    }
  }

  synchronized void succeeded() {
    state = State.CLOSED;
    failures = 0;
    probing = false;
  }

  void failed(ErrorClass errorClass, long now) {
    boolean opened = false;
    synchronized (this) {
      if (!countsAgainst(errorClass)) {
        if (state == State.HALF_OPEN) {
          // the deployment answered, which is all a probe needs to show
          state = State.CLOSED;
          failures = 0;
          probing = false;
        }
        return;
      }
      failures++;
      if (state == State.HALF_OPEN || (state == State.CLOSED && failures >= threshold)) {
        state = State.OPEN;
        openUntil = now + cooldownMillis;
        probing = false;
        opened = true;
      }
    }
    if (opened) {
      onOpen.run();
    }
  }

  /** A reserved probe that never reached the provider (deadline passed while queued). */
  synchronized void abandoned() {
    if (state == State.HALF_OPEN) {
      probing = false;
    }
  }

  private static boolean countsAgainst(ErrorClass c) {
    return c == ErrorClass.RATE_LIMITED || c == ErrorClass.TRANSIENT || c == ErrorClass.TIMEOUT
        || c == ErrorClass.CREDENTIAL || c == ErrorClass.QUOTA || c == ErrorClass.DEPLOYMENT_FAULT;
  }
}
