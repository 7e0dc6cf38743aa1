package io.llmbroker.costs.support;

import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.UsageEvent;
import java.time.Instant;

/** Usage events for tests. */
public final class Usage {

  private Usage() {}

  /** A successful call of openai/gpt-4o by app "web", 100 input and 10 output tokens. */
  public static UsageEvent event(String requestId, String team, String model, long costMicros, Instant occurredAt) {
    return UsageEvent.newBuilder()
        .setRequestId(requestId)
        .setTeam(team)
        .setApp("web")
        .setProvider("openai")
        .setModel(model)
        .setStatus(ResponseStatus.OK)
        .setUsage(TokenUsage.newBuilder().setInputTokens(100).setOutputTokens(10).build())
        .setCostMicros(costMicros)
        .setOccurredAt(occurredAt.toEpochMilli())
        .build();
  }
}
