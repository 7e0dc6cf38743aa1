package io.llmbroker.worker.limits;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task once after a delay; the seam that lets tests drive lanes with a fake clock. */
@FunctionalInterface
public interface DelayScheduler {

  void schedule(Duration delay, Runnable task);

  static DelayScheduler of(ScheduledExecutorService executor) {
    return (delay, task) -> executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }
}
