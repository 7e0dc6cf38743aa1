package io.llmbroker.cli.services;

import java.util.concurrent.CountDownLatch;

/** Keeps a started service running until SIGTERM or Ctrl-C, then closes it gracefully. */
final class ServiceRunner {

  private ServiceRunner() {}

  static int runUntilShutdown(String name, AutoCloseable service) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        service.close();
      } catch (Exception e) {
        System.err.println(name + ": error while stopping: " + e.getMessage());
      } finally {
        stopped.countDown();
      }
    }, name + "-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
