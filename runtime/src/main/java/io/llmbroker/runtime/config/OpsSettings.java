package io.llmbroker.runtime.config;

/**
 * The {@code ops:} section every service shares: where {@code /health/*}, {@code /metrics}
 * (and a service's own API) are served. Port 0 picks a free one.
 *
 * @param host the address to listen on; default all interfaces
 * @param port the port; null until {@link #withDefaultPort} gives the service's own
 */
public record OpsSettings(String host, Integer port) {

  public OpsSettings {
    host = host == null ? "0.0.0.0" : host;
    if (port != null && (port < 0 || port > 65535)) {
      throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
    }
  }

  /** {@code settings}, or all defaults when absent, with {@code defaultPort} where no port was given. */
  public static OpsSettings withDefaultPort(OpsSettings settings, int defaultPort) {
    OpsSettings s = settings == null ? new OpsSettings(null, null) : settings;
    return s.port != null ? s : new OpsSettings(s.host, defaultPort);
  }
}
