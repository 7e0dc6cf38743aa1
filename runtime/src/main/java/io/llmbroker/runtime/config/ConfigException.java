package io.llmbroker.runtime.config;

/** A configuration that cannot be used; the message names the key and the bad value. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  /** {@code "config key 'worker.lanes': must be ... : 0"} */
  public static ConfigException forKey(String key, String problem) {
    return new ConfigException("config key '" + key + "': " + problem);
  }
}
