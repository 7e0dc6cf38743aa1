package io.llmbroker.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A failure answered in OpenAI's error shape, {@code {"error": {"message", "type", "param", "code"}}},
 * with the HTTP status SDKs react to. {@code retry} false adds {@code x-should-retry: false}, which
 * the OpenAI SDKs honour, for refusals that a retry cannot change (an exhausted budget, a passed deadline).
 */
public final class OpenAiError extends RuntimeException {

  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final boolean retry;

  public OpenAiError(int status, String type, String code, String param, String message, boolean retry) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retry = retry;
  }

  /** 400 {@code invalid_request_error} naming the parameter at fault. */
  public static OpenAiError invalid(String param, String message) {
    return new OpenAiError(400, "invalid_request_error", null, param, message, false);
  }

  public static OpenAiError unauthorized(String message) {
    return new OpenAiError(401, "invalid_request_error", "invalid_api_key", null, message, false);
  }

  public static OpenAiError notFound(String code, String param, String message) {
    return new OpenAiError(404, "invalid_request_error", code, param, message, false);
  }

  public int status() {
    return status;
  }

  /** False when the SDK should not retry: the answer would be the same. */
  public boolean retry() {
    return retry;
  }

  public String code() {
    return code;
  }

  /** The error body. */
  public ObjectNode body() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", getMessage());
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return root;
  }
}
