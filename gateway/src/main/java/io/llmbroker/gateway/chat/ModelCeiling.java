package io.llmbroker.gateway.chat;

import io.llmbroker.avro.App;
import io.llmbroker.avro.GenerationParams;

/**
 * OpenAI's SDKs rarely set {@code max_tokens}; a worker refuses a request without it when the app
 * has a ceiling, so the ceiling stands in for it. A value above the ceiling is left for the worker
 * to refuse, naming its rule.
 */
public final class ModelCeiling {

  private ModelCeiling() {}

  public static GenerationParams apply(GenerationParams params, App app) {
    if (params.getMaxTokens() != null || app.getMaxTokens() == null) {
      return params;
    }
    return GenerationParams.newBuilder(params).setMaxTokens(app.getMaxTokens()).build();
  }
}
