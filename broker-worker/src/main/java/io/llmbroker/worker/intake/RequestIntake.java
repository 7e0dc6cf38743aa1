package io.llmbroker.worker.intake;

import io.llmbroker.avro.Priority;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.offsets.OffsetTracker;
import io.llmbroker.worker.offsets.PartitionOffsets;
import io.llmbroker.worker.ops.WorkerMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop: polls the three request topics, hands every record to a
 * {@link RecordHandler} at once, and commits, per partition, the lowest offset not yet complete
 * (records complete out of order, many per partition at a time).
 *
 * <p><b>Backlog.</b> Each priority class may hold {@code backlogPerClass} records in memory
 * (from poll until their outputs are acknowledged); when a class is full its partitions are
 * paused, so memory stays flat whatever the lag, while the other classes keep being polled.
 * A class can exceed the limit by at most one poll ({@code max.poll.records}). The paused set
 * is recomputed on every loop turn and after every rebalance.
 *
 * <p><b>Rebalances and shutdown.</b> On revoke the loop stops taking work from the revoked
 * partitions, waits up to {@code drainTimeout} for their in-flight records, commits, and lets
 * them go; what did not finish is withdrawn from the router (no further provider call) and read
 * again by the new owner (at least once). Close does the same for every partition, then leaves
 * the group. After each assignment change the assignment listener gets this worker's request
 * partition indices (partition-major, see {@link #announceAssignment}) and their total; on revoke it hears of the smaller assignment before
 * the drain, so this worker's provider share shrinks before the new owner's grows.
 *
 * <p><b>Threads.</b> {@code KafkaConsumer} is not thread-safe: only the loop's thread touches
 * it. Completions arrive from other threads through a queue the loop drains.
 */
public final class RequestIntake implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(RequestIntake.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);

  private final Consumer<byte[], byte[]> consumer;
  private final Topics topics;
  private final Map<String, Priority> priorityOf = new HashMap<>();
  private final RecordHandler handler;
  private final BiConsumer<Set<Integer>, Integer> assignmentListener;
  private final IntSupplier callsInProgress;
  private final WorkerMetrics metrics;
  private final Clock clock;
  private final int backlogPerClass;
  private final Duration drainTimeout;
  private final Duration commitInterval;

  private final OffsetTracker tracker = new OffsetTracker();
  private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
  private final Map<Priority, AtomicInteger> backlog = new EnumMap<>(Priority.class);
  /** Work started for each partition and not yet complete: what a drain timeout hands back. */
  private final Map<TopicPartition, Set<CompletableFuture<Void>>> pending = new ConcurrentHashMap<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile boolean polled;
  private volatile boolean failed;

  /**
   * @param assignmentListener told {@code (partitionIndices, totalPartitions)} after each change
   * @param callsInProgress the provider calls running now, which a shutdown waits for
   */
  public RequestIntake(Consumer<byte[], byte[]> consumer, Topics topics, RecordHandler handler,
      BiConsumer<Set<Integer>, Integer> assignmentListener, IntSupplier callsInProgress, WorkerMetrics metrics,
      Clock clock, int backlogPerClass, Duration drainTimeout, Duration commitInterval) {
    this.consumer = consumer;
    this.topics = topics;
    this.handler = handler;
    this.assignmentListener = assignmentListener;
    this.callsInProgress = callsInProgress;
    this.metrics = metrics;
    this.clock = clock;
    this.backlogPerClass = backlogPerClass;
    this.drainTimeout = drainTimeout;
    this.commitInterval = commitInterval;
    for (Priority priority : Priority.values()) {
      priorityOf.put(topics.requests(priority).name(), priority);
      backlog.put(priority, metrics.backlog(priority));
    }
  }

  /** False once the consumer loop died on an error it could not recover from: restart the worker. */
  public boolean alive() {
    return !failed;
  }

  /** True once a poll succeeded, until the loop stops or dies. */
  public boolean ready() {
    return polled && !stopping && !failed;
  }

  /** Records of {@code priority} held in memory now. */
  public int backlog(Priority priority) {
    return backlog.get(priority).get();
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(topics.requestTopics().stream().map(Topic::name).toList(), new Rebalances());
      long nextCommit = clock.millis() + commitInterval.toMillis();
      while (!stopping) {
        try {
          applyCompletions();
          applyPauses();
          if (clock.millis() >= nextCommit) {
            commitAsync();
            nextCommit = clock.millis() + commitInterval.toMillis();
          }
          ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
          polled = true;
          long receivedAt = clock.millis();
          for (ConsumerRecord<byte[], byte[]> record : records) {
            accept(record, receivedAt);
          }
        } catch (WakeupException | InterruptException e) {
          throw e;
        } catch (KafkaException e) {
          // A broker or group error is not a reason to die; the consumer recovers on the next poll.
          log.warn("event=poll_failed error={} message=\"{}\"", e.getClass().getSimpleName(), e.getMessage());
          waitForCompletions(ERROR_BACKOFF);
        }
      }
      Set<TopicPartition> owned = new HashSet<>(tracker.owned());
      // Give up this worker's share of every cap first: no new provider call starts, so the
      // workers taking over never see the pool above a cap, and the drain ends with the calls
      // in progress instead of working through the whole backlog.
      announceAssignment(Set.of());
      drain(owned, () -> callsInProgress.getAsInt() == 0);
      commitSync(owned);
    } catch (RuntimeException e) {
      failed = true;
      log.error("event=intake_failed error={}", e.toString(), e);
    } finally {
      try {
        consumer.close(COMMIT_TIMEOUT);
      } catch (RuntimeException e) {
        log.warn("event=consumer_close_failed error={}", e.toString());
      }
      stopped.countDown();
      log.info("event=intake_stopped");
    }
  }

  /**
   * Stops taking work, drains in-flight records within the drain timeout, commits, and leaves
   * the group; returns when done or after {@code wait}.
   */
  public void stop(Duration wait) {
    stopping = true;
    try {
      stopped.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> record, long receivedAt) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    PartitionOffsets offsets = tracker.get(partition);
    Priority priority = priorityOf.get(record.topic());
    if (offsets == null || priority == null) {
      return;
    }
    offsets.started(record.offset());
    backlog.get(priority).incrementAndGet();
    CompletableFuture<Void> done;
    try {
      done = handler.handle(record, priority, receivedAt).toCompletableFuture();
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    Set<CompletableFuture<Void>> ofPartition = pending.computeIfAbsent(partition, p -> ConcurrentHashMap.newKeySet());
    ofPartition.add(done);
    CompletableFuture<Void> work = done;
    done.whenComplete((ok, error) -> {
      ofPartition.remove(work);
      completions.add(new Completion(partition, offsets, record.offset(), priority, error));
    });
  }

  private void applyCompletions() {
    for (Completion c = completions.poll(); c != null; c = completions.poll()) {
      apply(c);
    }
  }

  private void apply(Completion c) {
    backlog.get(c.priority()).decrementAndGet();
    if (!tracker.isCurrent(c.partition(), c.offsets())) {
      return;
    }
    if (c.error() == null) {
      c.offsets().completed(c.offset());
    } else {
      c.offsets().failed(c.offset());
      log.error("event=record_failed topic={} partition={} offset={} error={} message=\"{}\"",
          c.partition().topic(), c.partition().partition(), c.offset(),
          c.error().getClass().getSimpleName(), c.error().getMessage());
    }
  }

  /** Waits up to {@code wait} for completions and applies them; false when none came. */
  private boolean waitForCompletions(Duration wait) {
    try {
      Completion c = completions.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
      if (c != null) {
        apply(c);
        applyCompletions();
      }
      return c != null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  private void applyPauses() {
    Set<TopicPartition> wanted = new HashSet<>();
    for (TopicPartition partition : tracker.owned()) {
      Priority priority = priorityOf.get(partition.topic());
      if (backlog.get(priority).get() >= backlogPerClass) {
        wanted.add(partition);
      }
    }
    Set<TopicPartition> paused = consumer.paused();
    List<TopicPartition> pause = wanted.stream().filter(p -> !paused.contains(p)).toList();
    List<TopicPartition> resume = paused.stream().filter(p -> !wanted.contains(p)).toList();
    if (!pause.isEmpty()) {
      consumer.pause(pause);
      log.debug("event=partitions_paused partitions={}", pause);
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume);
      log.debug("event=partitions_resumed partitions={}", resume);
    }
    metrics.pausedPartitions(wanted.size());
  }

  /**
   * Waits for the work of {@code partitions} to complete, at most the drain timeout, and hands
   * back what is left. {@code nothingMoreWillRun} ends the wait early: once it holds and a poll
   * interval passed without a completion (outputs of the last calls being acknowledged), what
   * is left is waiting for a slot it will not get.
   */
  private void drain(Collection<TopicPartition> partitions, BooleanSupplier nothingMoreWillRun) {
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    applyCompletions();
    while (tracker.inFlight(partitions) > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        log.warn("event=drain_timeout partitions={} in_flight={}", partitions.size(), tracker.inFlight(partitions));
        handBack(partitions);
        return;
      }
      boolean idle = nothingMoreWillRun.getAsBoolean();
      if (!waitForCompletions(Duration.ofNanos(Math.min(left, POLL_TIMEOUT.toNanos()))) && idle) {
        log.info("event=drain_handed_back partitions={} waiting={}", partitions.size(), tracker.inFlight(partitions));
        handBack(partitions);
        return;
      }
    }
  }

  /**
   * Withdraws the work of partitions this worker is letting go: requests still waiting for a
   * provider make no call (the next owner serves them from the committed offset), so duplicate
   * provider calls stay bounded by the calls actually in progress.
   */
  private void handBack(Collection<TopicPartition> partitions) {
    for (TopicPartition partition : partitions) {
      Set<CompletableFuture<Void>> work = pending.remove(partition);
      if (work != null) {
        work.forEach(f -> f.cancel(false));
      }
    }
  }

  private void commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> commits = tracker.toCommit(tracker.owned());
    if (commits.isEmpty()) {
      return;
    }
    consumer.commitAsync(commits, (committed, error) -> {
      if (error == null) {
        tracker.committed(committed);
      } else {
        log.warn("event=commit_failed error={} message=\"{}\"", error.getClass().getSimpleName(), error.getMessage());
      }
    });
  }

  private void commitSync(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> commits = tracker.toCommit(partitions);
    if (commits.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(commits, COMMIT_TIMEOUT);
      tracker.committed(commits);
      log.info("event=committed partitions={}", commits.size());
    } catch (WakeupException | InterruptException e) {
      throw e;
    } catch (KafkaException e) {
      log.warn("event=commit_failed error={} message=\"{}\"", e.getClass().getSimpleName(), e.getMessage());
    }
  }

  private void announceAssignment() {
    announceAssignment(tracker.owned());
  }

  /**
   * Tells the router which request partitions this worker owns, as indices into all of them.
   * Indices run partition-major (partition 0 of every topic, then partition 1, ...), because
   * assignors tend to give one worker the same partition number of every topic: numbered
   * topic-major, those would be far apart in the cap division and could all land on indices
   * that own no slot when a cap is smaller than the partition count.
   */
  private void announceAssignment(Collection<TopicPartition> owned) {
    List<Topic<?>> requestTopics = new ArrayList<>(topics.requestTopics());
    int[] counts = new int[requestTopics.size()];
    for (int t = 0; t < counts.length; t++) {
      List<PartitionInfo> infos = consumer.partitionsFor(requestTopics.get(t).name());
      counts[t] = infos == null ? 0 : infos.stream().mapToInt(PartitionInfo::partition).max().orElse(-1) + 1;
    }
    Map<TopicPartition, Integer> indexOf = new HashMap<>();
    int total = 0;
    for (int partition = 0, most = Arrays.stream(counts).max().orElse(0); partition < most; partition++) {
      for (int t = 0; t < counts.length; t++) {
        if (partition < counts[t]) {
          indexOf.put(new TopicPartition(requestTopics.get(t).name(), partition), total++);
        }
      }
    }
    Set<Integer> indices = new HashSet<>();
    owned.stream().map(indexOf::get).filter(Objects::nonNull).forEach(indices::add);
    log.info("event=assignment partitions={} of={}", indices.size(), total);
    if (total > 0) {
      assignmentListener.accept(Set.copyOf(indices), total);
    }
  }

  private final class Rebalances implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(tracker::assign);
      applyPauses();
      announceAssignment();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      if (!stopping) {
        // Shrink this worker's share of every provider cap before draining, so that the new
        // owner's share and ours never add up to more than the cap once the partitions move.
        Set<TopicPartition> kept = new HashSet<>(tracker.owned());
        kept.removeAll(partitions);
        announceAssignment(kept);
        drain(partitions, () -> false);
      }
      // On close the loop has drained already; the consumer calls this while leaving the group.
      commitSync(partitions);
      tracker.forget(partitions);
      partitions.forEach(pending::remove);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      log.warn("event=partitions_lost partitions={}", partitions);
      handBack(partitions);
      tracker.forget(partitions);
      announceAssignment();
    }
  }

  private record Completion(TopicPartition partition, PartitionOffsets offsets, long offset, Priority priority,
      Throwable error) {}
}
