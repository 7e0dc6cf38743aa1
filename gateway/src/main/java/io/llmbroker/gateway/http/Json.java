package io.llmbroker.gateway.http;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapper of the gateway. */
public final class Json {

  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}
}
