package io.llmbroker.worker.publishing;

import io.llmbroker.schemas.Topic;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a reply topic the first time a response goes to it, asynchronously: requests for a
 * new service wait on one shared creation future, never a thread, and every later request
 * finds the topic known. Creating explicitly (rather than relying on broker auto-create) gives
 * reply topics the catalogue's partitions and retention, and keeps the producer from blocking
 * on metadata for a topic that does not exist yet.
 *
 * <p>A failed creation is logged and forgotten, so the next response retries it; the send
 * goes ahead regardless (the topic may exist through auto-create or an operator).
 *
 * <p>Thread-safe.
 */
public final class ReplyTopics {

  private static final Logger log = LoggerFactory.getLogger(ReplyTopics.class);

  private final Admin admin;
  private final short replicationFactor;
  private final Map<String, CompletableFuture<Void>> known = new ConcurrentHashMap<>();

  public ReplyTopics(Admin admin, short replicationFactor) {
    this.admin = admin;
    this.replicationFactor = replicationFactor;
  }

  /** Completes (never exceptionally) once {@code topic} exists or its creation was tried. */
  public CompletableFuture<Void> ensure(Topic<?> topic) {
    CompletableFuture<Void> existing = known.get(topic.name());
    if (existing != null) {
      return existing;
    }
    return known.computeIfAbsent(topic.name(), name -> create(topic));
  }

  private CompletableFuture<Void> create(Topic<?> topic) {
    return admin.createTopics(List.of(topic.newTopic(replicationFactor))).all()
        .toCompletionStage().toCompletableFuture()
        .handle((ok, error) -> {
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (cause == null) {
            log.info("event=reply_topic_created topic={}", topic.name());
          } else if (!(cause instanceof TopicExistsException)) {
            log.warn("event=reply_topic_create_failed topic={} error={} message=\"{}\"",
                topic.name(), cause.getClass().getSimpleName(), cause.getMessage());
            known.remove(topic.name());
          }
          return null;
        });
  }
}
