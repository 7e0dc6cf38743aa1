package io.llmbroker.worker.providers;

import io.llmbroker.avro.LlmRequest;
import java.time.Duration;
import java.util.Objects;

/**
 * One call to a provider: the request, the provider's model name that serves it, the longest
 * the call may take, and the attempt number (1-based, across deployments) for determinism.
 */
public record ProviderCall(LlmRequest request, String model, Duration timeout, int attempt) {
  public ProviderCall {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(timeout, "timeout");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1: " + attempt);
    }
  }
}
