package io.llmbroker.worker.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** A clock tests move by hand, with a {@link DelayScheduler} that runs tasks when their time comes. */
public final class MutableClock extends Clock implements DelayScheduler {

  private record Task(long due, Runnable run) {}

  private long millis;
  private final List<Task> tasks = new ArrayList<>();

  public MutableClock(long startMillis) {
    this.millis = startMillis;
  }

  public synchronized void advance(Duration d) {
    millis += d.toMillis();
    List<Task> due = new ArrayList<>();
    tasks.removeIf(t -> {
      if (t.due <= millis) {
        due.add(t);
        return true;
      }
      return false;
    });
    due.forEach(t -> t.run.run());
  }

  @Override
  public synchronized void schedule(Duration delay, Runnable task) {
    tasks.add(new Task(millis + delay.toMillis(), task));
  }

  @Override
  public synchronized long millis() {
    return millis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
