package io.llmbroker.client;

import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import java.time.Duration;
import java.util.Objects;

/**
 * A request ready to send: the wire record, the priority class (which picks the request
 * topic) and how long the caller waits for the reply. Immutable.
 *
 * @param request the record sent to Kafka; its {@code reply_to} names the caller's service
 * @param priority the request topic to use
 * @param timeout how long {@link LlmBrokerClient#submit(BrokerRequest)} waits for the reply
 */
public record BrokerRequest(LlmRequest request, Priority priority, Duration timeout) {

  public BrokerRequest {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be > 0: " + timeout);
    }
  }

  public String id() {
    return request.getId();
  }
}
