package io.llmbroker.client.batch;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.client.ClientConfig;
import io.llmbroker.schemas.serde.AvroSerdes;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the replies of one batch and writes them as an OpenAI Batch output file.
 *
 * <p>Replies are read from the batch's reply topic, from where the last collection stopped
 * (offsets kept in the state folder), and appended to the state folder's result chunks; so a
 * re-run collects only what is missing, and collected results survive the topic's retention.
 * {@link #writeResults} then writes one line per input line in input order, chunk by chunk, so a
 * million-line batch never sits in memory. Duplicate replies of a line count once (the first).
 *
 * <p>Status and results are computed from the state folder written by {@link BatchSubmitter}:
 * run them where the batch was submitted, or point {@code stateDir} at a copy. They may run while
 * the submission is still going on: replies to lines the manifest does not count yet are kept,
 * and {@link BatchStatus#complete()} stays false until the submission has finished. Every
 * collection has an overall timeout. Not thread-safe.
 */
public final class BatchCollector implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BatchCollector.class);
  private static final Duration POLL = Duration.ofMillis(500);

  /** How long {@link #collect(ProgressListener)} may take. */
  public static final Duration DEFAULT_COLLECT_TIMEOUT = Duration.ofMinutes(5);

  private final BatchId batchId;
  private final BatchStore store;
  private final BatchManifest manifest;
  private final Clock clock;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Deserializer<LlmResponse> deserializer;
  private Tally tally;

  private BatchCollector(ClientConfig config, BatchId batchId, Path stateDir, Clock clock) {
    this.batchId = batchId;
    this.clock = clock;
    this.store = new BatchStore(stateDir, batchId);
    this.manifest = store.manifest().orElseThrow(() -> new BatchException("unknown batch " + batchId + ": no state in "
        + store.dir() + " (run status and results where the batch was submitted, or pass its state folder)"));
    Map<String, Object> props = config.kafkaProperties();
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    this.deserializer = AvroSerdes.fromConfig(props).serde(LlmResponse.class).deserializer();
  }

  /**
   * @throws BatchException when the batch has no state folder under {@code stateDir}
   */
  public static BatchCollector open(ClientConfig config, BatchId batchId, Path stateDir) {
    return new BatchCollector(config, batchId, stateDir, Clock.systemUTC());
  }

  public static BatchCollector open(ClientConfig config, BatchId batchId, Path stateDir, Clock clock) {
    return new BatchCollector(config, batchId, stateDir, clock);
  }

  public BatchManifest manifest() {
    return manifest;
  }

  /**
   * Reads the replies that arrived since the last collection, up to the topic's current end,
   * within {@link #DEFAULT_COLLECT_TIMEOUT}.
   *
   * @param progress told records read out of records available
   * @return the status after collecting
   * @throws BatchException when Kafka cannot be reached, or the end is not reached in time
   */
  public BatchStatus collect(ProgressListener progress) {
    return collect(DEFAULT_COLLECT_TIMEOUT, progress);
  }

  /**
   * Reads the replies that arrived since the last collection, up to the topic's current end.
   *
   * @param timeout the longest the whole collection may take
   * @param progress told records read out of records available
   * @return the status after collecting
   * @throws BatchException when Kafka cannot be reached, or the end is not reached within
   *     {@code timeout}; what was read by then is kept, and the next collection goes on from there
   */
  public BatchStatus collect(Duration timeout, ProgressListener progress) {
    long deadline = clock.millis() + timeout.toMillis();
    if (!collectUntil(deadline, progress)) {
      throw new BatchException("collecting the replies of batch " + batchId + " did not reach the end of "
          + manifest.replyTopic() + " within " + timeout + "; what was read is kept, run it again to go on");
    }
    return status();
  }

  /** Collects up to the topic's end as of now; false when {@code deadline} came first. */
  private boolean collectUntil(long deadline, ProgressListener progress) {
    Map<Integer, Long> offsets = store.offsets();
    List<TopicPartition> partitions;
    Map<TopicPartition, Long> ends;
    try {
      List<PartitionInfo> infos = consumer.partitionsFor(manifest.replyTopic());
      partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      ends = consumer.endOffsets(partitions);
    } catch (RuntimeException e) {
      throw new BatchException("cannot read the replies of batch " + batchId + " from " + manifest.replyTopic() + ": " + e.getMessage(), e);
    }
    consumer.assign(partitions);
    long available = 0;
    for (TopicPartition tp : partitions) {
      long from = offsets.getOrDefault(tp.partition(), 0L);
      long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
      if (from < begin) {
        log.warn("replies of batch {} at {} offsets {}..{} passed the topic's retention before collection", batchId, tp, from, begin);
        from = begin;
      }
      consumer.seek(tp, from);
      available += Math.max(0, ends.get(tp) - from);
    }
    long read = 0;
    BatchManifest submitted = store.manifest().orElse(manifest);
    tally();
    boolean reachedEnd;
    try (BatchStore.Spool spool = store.spool()) {
      while (!(reachedEnd = reachedEnd(partitions, ends)) && clock.millis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          read++;
          spoolReply(spool, r, submitted);
        }
        progress.progress(read, available);
      }
      spool.sync();
    }
    // Offsets are stored only after what they pass over is on disk.
    Map<Integer, Long> next = new TreeMap<>(offsets);
    partitions.forEach(tp -> next.put(tp.partition(), consumer.position(tp)));
    store.writeOffsets(next);
    return reachedEnd;
  }

  /**
   * Collects repeatedly until every line has an outcome or {@code maxWait} passes.
   *
   * @param progress told lines done out of lines
   * @throws BatchException when Kafka cannot be reached
   */
  public BatchStatus awaitAll(Duration maxWait, ProgressListener progress) {
    long deadline = clock.millis() + maxWait.toMillis();
    collectUntil(deadline, ProgressListener.NONE);
    BatchStatus status = status();
    progress.progress(status.done(), status.lines());
    while (!status.complete() && clock.millis() < deadline) {
      pause();
      collectUntil(deadline, ProgressListener.NONE);
      status = status();
      progress.progress(status.done(), status.lines());
    }
    return status;
  }

  private static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BatchException("interrupted while waiting for results", e);
    }
  }

  private boolean reachedEnd(List<TopicPartition> partitions, Map<TopicPartition, Long> ends) {
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp) < ends.get(tp)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Keeps a reply when it answers a line of this batch. While the submission is still running the
   * manifest lags behind what was sent, so any line number is accepted; once it is complete, lines
   * past its end are foreign. Skipping a reply of ours would lose it for good: the stored offsets
   * move past it.
   */
  private void spoolReply(BatchStore.Spool spool, ConsumerRecord<String, byte[]> r, BatchManifest submitted) {
    LlmResponse response;
    try {
      response = deserializer.deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      log.warn("skipping unreadable reply at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      return;
    }
    if (response == null) {
      return;
    }
    String requestId = response.getRequestId();
    String customId = response.getCustomId() != null ? response.getCustomId().toString() : null;
    OptionalLong line = batchId.lineOf(requestId);
    boolean ours = line.isPresent() && line.getAsLong() >= 1
        && (!submitted.complete() || line.getAsLong() <= submitted.lines())
        && (customId == null || batchId.requestId(line.getAsLong(), customId).equals(requestId));
    if (!ours) {
      log.warn("skipping reply {} on {}: not a request of batch {}", requestId, r.topic(), batchId);
      return;
    }
    BatchStore.Entry entry = new BatchStore.Entry(line.getAsLong(), response.getStatus().name(), response.getCostMicros(),
        response.getCompletedAt(), OpenAiBatchFormat.outputLine(response, customId));
    spool.append(entry);
    tally().count(entry);
  }

  /** The status from the results collected so far, without reading Kafka. */
  public BatchStatus status() {
    BatchManifest current = store.manifest().orElse(manifest);
    Tally t = tally();
    long done = t.seen.cardinality();
    double seconds = (t.lastCompletedAt - current.submittedAt()) / 1000.0;
    double rate = done > 0 && seconds > 0 ? done / seconds : 0;
    Optional<Duration> eta = rate > 0 && done < current.lines()
        ? Optional.of(Duration.ofMillis((long) ((current.lines() - done) / rate * 1000))) : Optional.empty();
    return new BatchStatus(batchId, current.lines(), current.enqueuedThrough(), current.complete(), done, t.byStatus,
        t.costMicros, rate, eta);
  }

  /** Outcomes counted once per line: built from the chunks on first use, then kept up to date as replies arrive. */
  private static final class Tally {
    final BitSet seen = new BitSet();
    final Map<String, Long> byStatus = new HashMap<>();
    long costMicros;
    long lastCompletedAt;

    void count(BatchStore.Entry e) {
      int index = Math.toIntExact(e.line());
      if (!seen.get(index)) {
        seen.set(index);
        byStatus.merge(e.status(), 1L, Long::sum);
        costMicros += e.costMicros();
        lastCompletedAt = Math.max(lastCompletedAt, e.completedAt());
      }
    }
  }

  private Tally tally() {
    if (tally == null) {
      Tally t = new Tally();
      t.lastCompletedAt = manifest.submittedAt();
      long lines = store.manifest().orElse(manifest).lines();
      for (int chunk = 0; chunk < BatchStore.chunkCount(lines); chunk++) {
        store.readChunk(chunk, t::count);
      }
      tally = t;
    }
    return tally;
  }

  /**
   * Writes one output line per input line with an outcome, in input order, to {@code out}, and the
   * failed ones also to {@code errors}. Lines still pending are left out; a later call writes them.
   *
   * @param progress told lines written out of lines
   * @return the status the files reflect
   */
  public BatchStatus writeResults(Path out, Path errors, ProgressListener progress) {
    long lines = store.manifest().orElse(manifest).lines();
    try (BufferedWriter results = Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        BufferedWriter failures = Files.newBufferedWriter(errors, StandardCharsets.UTF_8)) {
      for (int chunk = 0; chunk < BatchStore.chunkCount(lines); chunk++) {
        BatchStore.Entry[] slots = new BatchStore.Entry[BatchStore.CHUNK_LINES];
        long first = (long) chunk * BatchStore.CHUNK_LINES + 1;
        store.readChunk(chunk, e -> {
          int slot = (int) (e.line() - first);
          if (slots[slot] == null) {
            slots[slot] = e;
          }
        });
        for (BatchStore.Entry e : slots) {
          if (e == null || e.line() > lines) {
            continue;
          }
          results.write(e.json());
          results.newLine();
          if (!"OK".equals(e.status())) {
            failures.write(e.json());
            failures.newLine();
          }
        }
        progress.progress(Math.min(lines, first - 1 + BatchStore.CHUNK_LINES), lines);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + out + ": " + e.getMessage(), e);
    }
    return status();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
