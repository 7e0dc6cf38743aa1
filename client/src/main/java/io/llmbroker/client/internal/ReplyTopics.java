package io.llmbroker.client.internal;

import io.llmbroker.schemas.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates reply topics, with the cluster's default replication factor. Not part of the public API. */
public final class ReplyTopics {

  private ReplyTopics() {}

  /**
   * Creates {@code topic} unless it exists.
   *
   * @return true when this call created it
   * @throws IllegalStateException when Kafka does not answer within {@code timeout} or refuses
   */
  public static boolean ensure(Map<String, Object> kafkaProps, Topic<?> topic, Duration timeout) {
    Admin admin = Admin.create(kafkaProps);
    try {
      if (admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).contains(topic.name())) {
        return false;
      }
      // Empty replication: the cluster's default.replication.factor, right for one broker and for many.
      NewTopic wanted = new NewTopic(topic.name(), topic.partitions(), Optional.empty()).configs(topic.configs());
      admin.createTopics(List.of(wanted)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within " + timeout.toMillis() + " ms while creating topic " + topic.name(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + topic.name(), e);
    } finally {
      // A zero timeout abandons calls still retrying against an unreachable broker instead of waiting them out.
      admin.close(Duration.ZERO);
    }
  }
}
