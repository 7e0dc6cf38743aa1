package io.llmbroker.client.batch;

/** Told how far a long batch operation has come; called from the working thread. */
@FunctionalInterface
public interface ProgressListener {

  /** Ignores progress. */
  ProgressListener NONE = (done, total) -> { };

  /** @param total the expected end, or -1 when not known */
  void progress(long done, long total);
}
