package io.llmbroker.worker.intake;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Kafka cluster answers: asks it for its description every few seconds and says
 * unreachable once no answer came for {@code unreachableAfter}. A consumer whose brokers are
 * gone keeps polling empty batches without an error, so readiness needs this separate look.
 * Thread-safe.
 */
public final class BrokerContact implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BrokerContact.class);

  private final Admin admin;
  private final Clock clock;
  private final Duration unreachableAfter;
  private final Duration every;
  private final ScheduledExecutorService timer;
  private volatile long lastContact;
  private volatile boolean reported;

  /** Starts checking at once; the cluster counts as reached at start (the worker just created its topics). */
  public BrokerContact(Admin admin, Clock clock, Duration unreachableAfter) {
    this.admin = admin;
    this.clock = clock;
    this.unreachableAfter = unreachableAfter;
    this.every = Duration.ofMillis(Math.max(200, Math.min(5_000, unreachableAfter.toMillis() / 3)));
    this.lastContact = clock.millis();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "broker-contact");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::check, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** False once the cluster has not answered for {@code unreachableAfter}. */
  public boolean reachable() {
    return clock.millis() - lastContact <= unreachableAfter.toMillis();
  }

  private void check() {
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) every.toMillis()))
          .clusterId().get(every.toMillis() + 1_000, TimeUnit.MILLISECONDS);
      lastContact = clock.millis();
      if (reported) {
        reported = false;
        log.info("event=broker_reachable");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (!reachable() && !reported) {
        reported = true;
        log.warn("event=broker_unreachable for_ms={} error={}", clock.millis() - lastContact, e.getClass().getSimpleName());
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
