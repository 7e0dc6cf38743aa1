package io.llmbroker.client;

/** The client was closed before a reply arrived, or a request was submitted after close. */
public final class ClientClosedException extends IllegalStateException {

  public ClientClosedException(String message) {
    super(message);
  }
}
