package io.llmbroker.cli.client;

import io.llmbroker.runtime.config.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** Reads {@code 250ms}, {@code 30s}, {@code 5m}, {@code 24h} as picocli option values. */
public final class DurationConverter implements ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    return Durations.parse(value);
  }
}
