package io.llmbroker.runtime.topics;

import io.llmbroker.schemas.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Makes sure a reply topic exists before anything is sent to it, the one way the worker and the
 * client both do it: describe the topic, create it when it is unknown (with the catalogue's
 * partitions and retention), and treat a concurrent creation by someone else as success.
 * Describing first means a caller allowed to describe but not to create still works with an
 * existing topic. With a limit, a topic is created only while fewer than the limit exist under the
 * reply topics' name prefix; several callers creating at once may each pass the count, so the
 * limit can be overshot by the creations in flight at that moment, never more.
 *
 * <p>Asynchronous: {@link #ensure} never blocks; requests for one new topic share one future.
 * A topic found or created is remembered; a failure is forgotten, so the next call tries again.
 *
 * <p>Thread-safe.
 */
public final class ReplyTopics {

  private final Admin admin;
  private final Optional<Short> replicationFactor;
  private final String namePrefix;
  private final int maxTopics;
  private final Map<String, CompletableFuture<Boolean>> known = new ConcurrentHashMap<>();
  // Reply topics seen at the last count, -1 before the first: what full() answers from, without a call.
  private final AtomicLong counted = new AtomicLong(-1);

  /** @param replicationFactor empty: the cluster's {@code default.replication.factor} */
  public ReplyTopics(Admin admin, Optional<Short> replicationFactor) {
    this(admin, replicationFactor, "", Integer.MAX_VALUE);
  }

  /**
   * As above, creating no topic once {@code maxTopics} topics exist whose names start with
   * {@code namePrefix} (the catalogue's {@code responsesPrefix()}).
   */
  public ReplyTopics(Admin admin, Optional<Short> replicationFactor, String namePrefix, int maxTopics) {
    if (maxTopics < 1) {
      throw new IllegalArgumentException("maxTopics must be >= 1: " + maxTopics);
    }
    this.admin = admin;
    this.replicationFactor = replicationFactor;
    this.namePrefix = namePrefix;
    this.maxTopics = maxTopics;
  }

  /**
   * Completes with true when this call created {@code topic}, false when it existed; completes
   * exceptionally with a {@link ReplyTopicException} naming the topic when it can be neither
   * found nor created (invalid name, not authorised, broker unreachable), a
   * {@link ReplyTopicLimitException} when it does not exist and the limit is reached.
   */
  public CompletableFuture<Boolean> ensure(Topic<?> topic) {
    CompletableFuture<Boolean> existing = known.get(topic.name());
    if (existing != null) {
      return existing;
    }
    CompletableFuture<Boolean> ready = new CompletableFuture<>();
    CompletableFuture<Boolean> raced = known.putIfAbsent(topic.name(), ready);
    if (raced != null) {
      return raced;
    }
    findOrCreate(topic).whenComplete((created, error) -> {
      if (error == null) {
        ready.complete(created);
      } else {
        known.remove(topic.name(), ready);
        ready.completeExceptionally(error);
      }
    });
    return ready;
  }

  /**
   * {@link #ensure} once with an admin client of its own, waiting at most {@code timeout}: for
   * callers that prepare one topic before they start.
   *
   * @return true when this call created the topic
   * @throws ReplyTopicException when it cannot be found or created, or Kafka did not answer in time
   */
  public static boolean ensure(Map<String, Object> adminProps, Topic<?> topic, Duration timeout) {
    Admin admin = Admin.create(adminProps);
    try {
      return new ReplyTopics(admin, Optional.empty()).ensure(topic).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof ReplyTopicException r ? r : new ReplyTopicException(topic, e.getCause());
    } catch (TimeoutException e) {
      throw new ReplyTopicException("Kafka did not answer within " + timeout.toMillis() + " ms while creating topic "
          + topic.name(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplyTopicException("interrupted while creating topic " + topic.name(), e);
    } finally {
      // A zero timeout abandons calls still retrying against an unreachable broker instead of waiting them out.
      admin.close(Duration.ZERO);
    }
  }

  private CompletableFuture<Boolean> findOrCreate(Topic<?> topic) {
    return admin.describeTopics(List.of(topic.name())).allTopicNames().toCompletionStage().toCompletableFuture()
        .thenApply(found -> false)
        .exceptionallyCompose(error -> cause(error) instanceof UnknownTopicOrPartitionException
            ? create(topic) : CompletableFuture.failedFuture(new ReplyTopicException(topic, cause(error))));
  }

  /**
   * True when the last count of reply topics (at {@link #count}, or before the last creation)
   * reached the limit: an unknown topic will then most likely be refused. Answers without a call.
   */
  public boolean full() {
    return counted.get() >= maxTopics;
  }

  /** Counts the topics whose names start with the prefix, and remembers the count for {@link #full()}. */
  public CompletableFuture<Long> count() {
    return admin.listTopics().names().toCompletionStage().toCompletableFuture().thenApply(names -> {
      long existing = names.stream().filter(name -> name.startsWith(namePrefix)).count();
      counted.set(existing);
      return existing;
    });
  }

  private CompletableFuture<Boolean> create(Topic<?> topic) {
    if (maxTopics == Integer.MAX_VALUE) {
      return createUnchecked(topic);
    }
    return count()
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(new ReplyTopicException(topic, cause(error))))
        .thenCompose(existing -> existing >= maxTopics
            ? CompletableFuture.failedFuture(new ReplyTopicLimitException(topic, existing, maxTopics))
            : createUnchecked(topic).thenApply(created -> {
              if (created) {
                counted.incrementAndGet();
              }
              return created;
            }));
  }

  private CompletableFuture<Boolean> createUnchecked(Topic<?> topic) {
    NewTopic wanted = new NewTopic(topic.name(), topic.partitions(), replicationFactor).configs(topic.configs());
    return admin.createTopics(List.of(wanted)).all().toCompletionStage().toCompletableFuture()
        .thenApply(created -> true)
        .exceptionallyCompose(error -> cause(error) instanceof TopicExistsException
            ? CompletableFuture.completedFuture(false)
            : CompletableFuture.failedFuture(new ReplyTopicException(topic, cause(error))));
  }

  private static Throwable cause(Throwable error) {
    return (error instanceof CompletionException || error instanceof ExecutionException) && error.getCause() != null
        ? error.getCause() : error;
  }

  /** A reply topic that can be neither found nor created; the message names it and says why. */
  public static class ReplyTopicException extends IllegalStateException {

    ReplyTopicException(Topic<?> topic, Throwable cause) {
      this("cannot create topic " + topic.name() + ": " + cause.getClass().getSimpleName() + ": " + cause.getMessage(),
          cause);
    }

    ReplyTopicException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A reply topic that does not exist and may not be created: the limit of reply topics is reached. */
  public static final class ReplyTopicLimitException extends ReplyTopicException {

    ReplyTopicLimitException(Topic<?> topic, long existing, int limit) {
      super("reply topic " + topic.name() + " does not exist and " + existing + " reply topics do, the limit is "
          + limit, null);
    }
  }
}
