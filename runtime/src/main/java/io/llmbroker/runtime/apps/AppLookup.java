package io.llmbroker.runtime.apps;

import java.util.Map;
import java.util.Optional;

/** Reads apps by id. Implementations are thread-safe. */
public interface AppLookup {

  /** The registry's entry for {@code appId}, empty when it has none. */
  Optional<AppEntry> find(String appId);

  /** True when the registry holds no entry at all, readable or not. */
  boolean isEmpty();

  /** A fixed lookup over {@code entries}. */
  static AppLookup of(Map<String, AppEntry> entries) {
    Map<String, AppEntry> copy = Map.copyOf(entries);
    return new AppLookup() {
      @Override
      public Optional<AppEntry> find(String appId) {
        return Optional.ofNullable(copy.get(appId));
      }

      @Override
      public boolean isEmpty() {
        return copy.isEmpty();
      }
    };
  }
}
