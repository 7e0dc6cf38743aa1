package io.llmbroker.client;

import java.util.concurrent.TimeoutException;

/**
 * No reply arrived within the request's timeout. The message says whether the request had
 * reached Kafka at all, which tells a broker outage from a slow or absent worker.
 */
public final class RequestTimeoutException extends TimeoutException {

  private final String requestId;

  public RequestTimeoutException(String requestId, String message) {
    super(message);
    this.requestId = requestId;
  }

  public String requestId() {
    return requestId;
  }
}
