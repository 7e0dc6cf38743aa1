package io.llmbroker.gateway.chat;

import io.llmbroker.avro.App;
import io.llmbroker.client.BrokerRequest;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.client.RequestBuilder;
import io.llmbroker.gateway.config.GatewaySettings;
import io.llmbroker.gateway.http.ApiRequest;
import io.llmbroker.gateway.http.Endpoint;
import io.llmbroker.gateway.http.HttpReply;
import io.llmbroker.gateway.http.OpenAiError;
import java.time.Clock;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /v1/chat/completions}: reads the call, checks the model against the key's app, and
 * sends it through the client library as the app (team, app, customer from the key or
 * {@code user}, tags from {@code metadata}); answers with the reply, as JSON or, for
 * {@code stream: true}, as one SSE chunk then {@code [DONE]}. Nothing is sent to Kafka for a call
 * it refuses. Thread-safe.
 */
public final class ChatCompletions implements Endpoint {

  private final LlmBrokerClient client;
  private final GatewaySettings settings;
  private final Clock clock;

  public ChatCompletions(LlmBrokerClient client, GatewaySettings settings, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public CompletionStage<HttpReply> handle(ApiRequest request) {
    ChatCall call = ChatRequestReader.read(request.body());
    App app = request.caller().app();
    if (!request.caller().mayUse(call.model())) {
      throw OpenAiError.notFound("model_not_found", "model", "The model '" + call.model()
          + "' does not exist or you do not have access to it.");
    }
    CallOptions options = CallOptions.of(request, clock.instant(), settings.defaultTimeout(), settings.maxTimeout());
    String customer = request.caller().key().getCustomer() != null ? request.caller().key().getCustomer() : call.user();
    RequestBuilder builder = client.request()
        .id(request.id())
        .team(app.getTeam())
        .app(app.getId())
        .customer(customer)
        .tags(call.metadata())
        .model(call.model())
        .messages(call.messages())
        .params(ModelCeiling.apply(call.params(), app))
        .priority(options.priority())
        .deadline(options.deadline())
        .timeout(options.timeout());
    String traceparent = request.header("traceparent");
    if (traceparent != null) {
      builder.trace(traceparent, request.header("tracestate"));
    }
    BrokerRequest brokerRequest = builder.build();
    return client.submit(brokerRequest).handle((reply, failure) -> {
      if (failure != null) {
        throw ReplyErrors.noReply(failure);
      }
      if (!ReplyErrors.ok(reply)) {
        throw ReplyErrors.of(reply);
      }
      return call.stream()
          ? HttpReply.eventStream(ChatCompletionWriter.stream(request.id(), call.model(), reply, call.includeUsage()))
          : HttpReply.json(200, ChatCompletionWriter.completion(request.id(), call.model(), reply));
    });
  }
}
