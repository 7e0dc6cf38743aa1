package io.llmbroker.worker.intake;

import java.util.concurrent.CompletableFuture;

/** The work a {@link RecordHandler} started for one record. Thread-safe. */
public interface RecordWork {

  /**
   * Completes when every output of the record is acknowledged by the broker; completes
   * exceptionally when an output could not be published (the record's offset is then never
   * committed by this worker); is cancelled when the work was withdrawn or abandoned.
   */
  CompletableFuture<Void> done();

  /**
   * Hands the record back if nothing of it has reached a provider or a topic yet: it waits for
   * a slot, a backoff or a retry. A provider call in progress and outputs being acknowledged are
   * left to finish.
   *
   * @return true when the work was withdrawn and {@link #done()} is cancelled
   */
  boolean withdraw();

  /** Work that nothing can withdraw any more, such as outputs already being published. */
  static RecordWork publishing(CompletableFuture<Void> done) {
    return new RecordWork() {
      @Override
      public CompletableFuture<Void> done() {
        return done;
      }

      @Override
      public boolean withdraw() {
        return false;
      }
    };
  }
}
