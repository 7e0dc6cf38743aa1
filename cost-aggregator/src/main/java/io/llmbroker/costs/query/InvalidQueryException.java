package io.llmbroker.costs.query;

/** A cost query parameter that cannot be used; the message names the parameter and its value. */
public final class InvalidQueryException extends IllegalArgumentException {

  private final String parameter;

  public InvalidQueryException(String parameter, String value, String problem) {
    super("parameter '" + parameter + "'" + (value == null ? "" : " = '" + value + "'") + ": " + problem);
    this.parameter = parameter;
  }

  /** The parameter at fault. */
  public String parameter() {
    return parameter;
  }
}
