package io.llmbroker.cli.demo;

import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.cli.demo.DemoCommand.DemoRun;
import io.llmbroker.cli.demo.DemoCommand.Sent;
import io.llmbroker.client.LlmBrokerClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The demo's traffic: a batch backlog enqueued at once, some standard requests, and a trickle
 * of interactive requests arriving while the backlog drains, spread over several teams.
 */
final class DemoTraffic {

  private final LlmBrokerClient client;
  private final int batch;
  private final int interactiveRate;
  private final List<String> teams;

  DemoTraffic(LlmBrokerClient client, int batch, int interactiveRate, List<String> teams) {
    this.client = client;
    this.batch = batch;
    this.interactiveRate = interactiveRate;
    this.teams = teams;
  }

  DemoRun run(PrintStream out) throws InterruptedException {
    int standard = Math.max(10, batch / 10);
    int interactive = Math.max(10, batch / 10);
    int total = batch + standard + interactive;
    out.printf("Sending %d batch prompts at once, %d standard requests, and %d interactive requests at %d/s...%n",
        batch, standard, interactive, interactiveRate);
    List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<?>> futures = Collections.synchronizedList(new ArrayList<>());
    long start = System.nanoTime();
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try (ProgressBar progress = new ProgressBarBuilder().setTaskName("answered").setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed().continuousUpdate().build()) {
      for (int i = 0; i < batch; i++) {
        futures.add(send(Priority.BATCH, "nightly-summaries", "Summarise support ticket #" + i + " in one line.", i, sent, progress));
      }
      for (int i = 0; i < standard; i++) {
        futures.add(send(Priority.STANDARD, "reports", "Draft a title for report " + i + ".", i, sent, progress));
      }
      CompletableFuture<Void> trickleDone = new CompletableFuture<>();
      int[] next = {0};
      trickle.scheduleAtFixedRate(() -> {
        int i = next[0]++;
        if (i < interactive) {
          futures.add(send(Priority.INTERACTIVE, "chat", "Answer user question " + i + ": what is Kafka?", i, sent, progress));
        } else {
          trickleDone.complete(null);
        }
      }, 0, 1000 / interactiveRate, TimeUnit.MILLISECONDS);
      trickleDone.join();
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    } finally {
      trickle.shutdownNow();
    }
    int unanswered = (int) futures.stream().filter(CompletableFuture::isCompletedExceptionally).count();
    futures.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst().ifPresent(f ->
        f.exceptionally(e -> {
          out.println("Some requests got no answer, for example: " + e);
          return null;
        }));
    return new DemoRun(List.copyOf(sent), unanswered, Duration.ofNanos(System.nanoTime() - start));
  }

  private CompletableFuture<LlmResponse> send(Priority priority, String app, String prompt, int i, List<Sent> sent,
      ProgressBar progress) {
    String team = teams.get(i % teams.size());
    long submitted = System.nanoTime();
    return client.request()
        .team(team)
        .app(app)
        .customer("customer-" + i % 7)
        .model(i % 5 == 0 ? "smart" : "fast")
        .user(prompt)
        .priority(priority)
        .submit()
        .whenComplete((response, error) -> {
          if (response != null) {
            sent.add(new Sent(priority, team, response, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - submitted)));
          }
          progress.step();
        });
  }
}
