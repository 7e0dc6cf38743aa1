package io.llmbroker.gateway.http;

import com.sun.net.httpserver.Headers;
import io.llmbroker.gateway.keys.Caller;

/**
 * One authenticated API call as an endpoint sees it.
 *
 * @param id the request id: the {@code x-request-id} header and the id of the request on Kafka
 * @param path the path, e.g. {@code /v1/models/fast}
 * @param body the whole body, within the size limit
 */
public record ApiRequest(String id, String path, Headers headers, byte[] body, Caller caller) {

  /** The first value of a header, or null. */
  public String header(String name) {
    return headers.getFirst(name);
  }
}
