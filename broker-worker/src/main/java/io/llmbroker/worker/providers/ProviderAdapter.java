package io.llmbroker.worker.providers;

import java.util.concurrent.CompletableFuture;

/**
 * Sends one call to one provider. Implementations are asynchronous (no thread is held while
 * the provider works) and thread-safe.
 *
 * <p>The returned future completes with a {@link ProviderReply}, or exceptionally with a
 * {@link ProviderException} that carries the failure's class; never with another exception.
 * Cancelling the future abandons the call.
 */
public interface ProviderAdapter {

  /** The provider name from the config, for attempts, metrics and responses. */
  String provider();

  CompletableFuture<ProviderReply> send(ProviderCall call);
}
