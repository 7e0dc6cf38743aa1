package io.llmbroker.worker.intake;

import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.logging.LogLimiter;
import io.llmbroker.schemas.Topic;
import io.llmbroker.schemas.Topics;
import io.llmbroker.worker.config.WorkerConfig;
import io.llmbroker.worker.offsets.OffsetTracker;
import io.llmbroker.worker.offsets.PartitionOffsets;
import io.llmbroker.worker.ops.WorkerMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The consumer loop: polls the three request topics, hands every record to a
 * {@link RecordHandler} at once, and commits, per partition, the lowest offset not yet complete
 * (records complete out of order, many per partition at a time). A commit is sent as soon as
 * that offset moves, at most once per {@code commit-interval}. Full priority classes are paused
 * ({@link BacklogPauses}), re-applied on every loop turn and after every rebalance.
 *
 * <p><b>Rebalances and shutdown.</b> On revoke the loop first tells the assignment listener of
 * the smaller assignment, so this worker's share of every cap shrinks, then lets the revoked
 * partitions go through a {@link Drain}, commits them, and only then returns to the consumer, so
 * their new owner starts from the committed offset with its grown share while this worker is
 * within its smaller one. Close does the same for every partition (its share is zero), then
 * leaves the group. The listener gets this worker's request partition indices
 * ({@link PartitionNumbering}) and their total.
 *
 * <p><b>Fatal errors.</b> A consumer error no retry can cure ({@link FatalErrors}) stops the
 * loop: work is abandoned, {@link #alive()} turns false and {@link #terminated()} completes with
 * the error. Any other Kafka error is logged and the loop carries on.
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
  private final WorkerMetrics metrics;
  // Commits run every commit-interval: a rebalance refuses each of them, one line per interval is enough.
  private final LogLimiter logLimit = LogLimiter.perDefaultInterval();
  private final Clock clock;
  private final Duration commitInterval;

  private final OffsetTracker tracker = new OffsetTracker();
  private final PendingWork pending = new PendingWork();
  private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
  private final Map<Priority, AtomicInteger> backlog = new EnumMap<>(Priority.class);
  private final BacklogPauses pauses;
  private final Drain drain;
  private final CompletableFuture<Throwable> terminated = new CompletableFuture<>();
  private volatile boolean stopping;
  private volatile boolean polled;
  private volatile RuntimeException fatal;
  /** The last numbering read from the cluster, for when it cannot be read (a shutdown with the broker gone). */
  private PartitionNumbering numbering = PartitionNumbering.of(List.of(), new int[0]);

  /**
   * @param assignmentListener told {@code (partitionIndices, totalPartitions)} after each change
   * @param withinShares true when no lane has more calls in progress than this worker's share
   *     of its cap; a revoke or a shutdown does not end before it holds (or the drain timeout)
   */
  public RequestIntake(Consumer<byte[], byte[]> consumer, Topics topics, RecordHandler handler,
      BiConsumer<Set<Integer>, Integer> assignmentListener, BooleanSupplier withinShares, WorkerMetrics metrics,
      Clock clock, WorkerConfig.Intake settings) {
    this.consumer = consumer;
    this.topics = topics;
    this.handler = handler;
    this.assignmentListener = assignmentListener;
    this.metrics = metrics;
    this.clock = clock;
    this.commitInterval = settings.commitInterval();
    for (Priority priority : Priority.values()) {
      priorityOf.put(topics.requests(priority).name(), priority);
      backlog.put(priority, metrics.backlog(priority));
    }
    this.pauses = new BacklogPauses(backlog, priorityOf::get, settings.backlogPerClass());
    this.drain = new Drain(pending, tracker, withinShares, this::awaitCompletions, settings.drainTimeout());
  }

  /** False once the consumer loop died on an error it could not recover from: restart the worker. */
  public boolean alive() {
    return !terminated.isDone() || terminated.join() == null;
  }

  /** True once a poll succeeded, until the loop stops or dies. */
  public boolean ready() {
    return polled && !stopping && !terminated.isDone();
  }

  /** Completes when the loop has stopped: with null after {@link #stop}, with the error when it died. */
  public CompletionStage<Throwable> terminated() {
    return terminated;
  }

  /** Records of {@code priority} held in memory now. */
  public int backlog(Priority priority) {
    return backlog.get(priority).get();
  }

  @Override
  public void run() {
    Throwable failure = null;
    try {
      consumer.subscribe(topics.requestTopics().stream().map(Topic::name).toList(), new Rebalances());
      long lastCommit = clock.millis();
      while (!stopping) {
        try {
          applyCompletions();
          metrics.pausedPartitions(pauses.apply(consumer, tracker.owned()));
          if (clock.millis() - lastCommit >= commitInterval.toMillis() && commitAsync()) {
            lastCommit = clock.millis();
          }
          throwIfFatal();
          ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
          polled = true;
          long receivedAt = clock.millis();
          for (ConsumerRecord<byte[], byte[]> record : records) {
            accept(record, receivedAt);
          }
        } catch (WakeupException | InterruptException e) {
          throw e;
        } catch (KafkaException e) {
          if (FatalErrors.isFatal(e)) {
            throw e;
          }
          // A broker or group error is not a reason to die; the consumer recovers on a later poll.
          log.warn("event=poll_failed error={} message=\"{}\"", e.getClass().getSimpleName(), e.getMessage());
          awaitCompletions(ERROR_BACKOFF);
        }
      }
      Set<TopicPartition> owned = new HashSet<>(tracker.owned());
      // A zero share everywhere: no new provider call starts, so the workers taking over never
      // see the pool above a cap, and the drain waits only for the calls in progress.
      announceAssignment(Set.of());
      drain.of(owned, "shutdown");
      commitOnShutdown();
    } catch (RuntimeException e) {
      failure = e;
      log.error("event=intake_fatal error={} message=\"{}\" action=\"the worker stops: this error does not pass with"
          + " a retry; fix the cause and start it again\"", e.getClass().getName(), e.getMessage(), e);
      pending.abandon(new HashSet<>(tracker.owned()));
      announceQuietly();
    } finally {
      try {
        consumer.close(COMMIT_TIMEOUT);
      } catch (RuntimeException e) {
        log.warn("event=consumer_close_failed error={}", e.toString());
      }
      log.info("event=intake_stopped");
      terminated.complete(failure);
    }
  }

  /**
   * Stops taking work, drains in-flight records within the drain timeout, commits, and leaves
   * the group; returns when done or after {@code wait}.
   */
  public void stop(Duration wait) {
    stopping = true;
    try {
      terminated.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("event=intake_stop_slow waited_ms={}", wait.toMillis());
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
    RecordWork work;
    try {
      work = handler.handle(record, priority, receivedAt);
    } catch (RuntimeException e) {
      work = RecordWork.publishing(CompletableFuture.failedFuture(e));
    }
    pending.add(partition, work);
    RecordWork started = work;
    work.done().whenComplete((ok, error) -> {
      pending.remove(partition, started);
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
    Throwable error = c.error() instanceof CompletionException && c.error().getCause() != null
        ? c.error().getCause() : c.error();
    if (error == null) {
      c.offsets().completed(c.offset());
    } else if (error instanceof CancellationException) {
      // Handed back on a revoke or a shutdown: the partition's next owner serves it.
      c.offsets().failed(c.offset());
    } else {
      c.offsets().failed(c.offset());
      log.error("event=record_failed topic={} partition={} offset={} error={} message=\"{}\"",
          c.partition().topic(), c.partition().partition(), c.offset(),
          error.getClass().getSimpleName(), error.getMessage());
    }
  }

  /** Waits up to {@code wait} for a completion, then applies every completion that arrived. */
  private void awaitCompletions(Duration wait) {
    try {
      if (!wait.isZero()) {
        Completion c = completions.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        if (c != null) {
          apply(c);
        }
      }
      applyCompletions();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  /** Sends the committable offsets that moved; false when none did. */
  private boolean commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> commits = tracker.toCommit(tracker.owned());
    if (commits.isEmpty()) {
      return false;
    }
    consumer.commitAsync(commits, (committed, error) -> {
      if (error == null) {
        tracker.committed(committed);
      } else if (FatalErrors.isFatal(error)) {
        fatal = error instanceof RuntimeException r ? r : new KafkaException(error);
      } else {
        commitFailed(error);
      }
    });
    return true;
  }

  /**
   * Commits what the shutdown drain finished. Under the classic protocol the last poll may have
   * joined a rebalance another member started: the consumer refuses commits until it completes,
   * and {@code close} would then report the partitions lost, uncommitted, so their next owner
   * would serve finished work again. Polls with every partition paused (they fetch nothing) let
   * the rebalance complete, within the commit timeout.
   */
  private void commitOnShutdown() {
    long until = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
    consumer.pause(consumer.assignment());
    while (!commitSync(new HashSet<>(tracker.owned())) && System.nanoTime() < until) {
      try {
        consumer.poll(POLL_TIMEOUT);
      } catch (WakeupException | InterruptException e) {
        throw e;
      } catch (KafkaException e) {
        if (FatalErrors.isFatal(e)) {
          throw e;
        }
        log.warn("event=poll_failed error={} message=\"{}\"", e.getClass().getSimpleName(), e.getMessage());
      }
    }
  }

  /** Commits the finished work of {@code partitions}; false only when a rebalance in progress refused the commit. */
  private boolean commitSync(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> commits = tracker.toCommit(partitions);
    if (commits.isEmpty()) {
      return true;
    }
    try {
      consumer.commitSync(commits, COMMIT_TIMEOUT);
      tracker.committed(commits);
      log.info("event=committed partitions={}", commits.size());
      return true;
    } catch (WakeupException | InterruptException e) {
      throw e;
    } catch (KafkaException e) {
      if (FatalErrors.isFatal(e)) {
        throw e;
      }
      commitFailed(e);
      return !(e instanceof RebalanceInProgressException);
    }
  }

  private void commitFailed(Exception error) {
    metrics.commitFailed();
    logLimit.log(log, Level.WARN, "commit_failed_" + error.getClass().getSimpleName(),
        "event=commit_failed error={} message=\"{}\"", error.getClass().getSimpleName(), error.getMessage());
  }

  private void throwIfFatal() {
    RuntimeException error = fatal;
    if (error != null) {
      throw error;
    }
  }

  /** Tells the router which request partitions this worker owns, as indices into all of them. */
  private void announceAssignment(Collection<TopicPartition> owned) {
    try {
      List<Topic<?>> requestTopics = List.copyOf(topics.requestTopics());
      int[] counts = new int[requestTopics.size()];
      for (int t = 0; t < counts.length; t++) {
        List<PartitionInfo> infos = consumer.partitionsFor(requestTopics.get(t).name());
        counts[t] = infos == null ? 0 : infos.stream().mapToInt(PartitionInfo::partition).max().orElse(-1) + 1;
      }
      numbering = PartitionNumbering.of(requestTopics.stream().map(Topic::name).toList(), counts);
    } catch (WakeupException | InterruptException e) {
      throw e;
    } catch (KafkaException e) {
      if (FatalErrors.isFatal(e)) {
        throw e;
      }
      log.warn("event=partition_counts_unknown error={} using=last", e.getClass().getSimpleName());
    }
    Set<Integer> indices = numbering.indices(owned);
    log.info("event=assignment partitions={} of={}", indices.size(), numbering.total());
    if (numbering.total() > 0) {
      assignmentListener.accept(indices, numbering.total());
    }
  }

  /** A zero share, when the broker may not even answer for the partition counts. */
  private void announceQuietly() {
    try {
      announceAssignment(Set.of());
    } catch (RuntimeException e) {
      log.warn("event=assignment_failed error={}", e.toString());
    }
  }

  private final class Rebalances implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (stopping) {
        // A rebalance completing during shutdown: take nothing new, the next owner will.
        consumer.pause(partitions);
        return;
      }
      partitions.forEach(tracker::assign);
      metrics.pausedPartitions(pauses.apply(consumer, tracker.owned()));
      announceAssignment(tracker.owned());
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      if (!stopping) {
        Set<TopicPartition> kept = new HashSet<>(tracker.owned());
        kept.removeAll(partitions);
        announceAssignment(kept);
        drain.of(partitions, "revoke");
      }
      // On close the loop has drained already; the consumer calls this while leaving the group.
      commitSync(partitions);
      tracker.forget(partitions);
      pending.forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      log.warn("event=partitions_lost partitions={}", partitions);
      pending.abandon(partitions);
      tracker.forget(partitions);
      announceAssignment(tracker.owned());
    }
  }

  private record Completion(TopicPartition partition, PartitionOffsets offsets, long offset, Priority priority,
      Throwable error) {}
}
