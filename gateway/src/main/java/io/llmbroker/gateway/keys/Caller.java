package io.llmbroker.gateway.keys;

import io.llmbroker.avro.App;
import io.llmbroker.avro.VirtualKey;

/** Who a request comes from: the app its key belongs to, as the registry holds it now, and the key. */
public record Caller(App app, VirtualKey key) {

  /** True when the app may request {@code model}. */
  public boolean mayUse(String model) {
    return app.getModels().contains("*") || app.getModels().contains(model);
  }
}
