package io.llmbroker.gateway.http;

import java.util.concurrent.CompletionStage;

/** One operation of the API. Implementations are thread-safe and never block on a reply. */
@FunctionalInterface
public interface Endpoint {

  /**
   * Answers a call. An {@link OpenAiError}, thrown or completing the stage, becomes its error reply.
   */
  CompletionStage<HttpReply> handle(ApiRequest request);
}
