package io.llmbroker.bench;

import io.llmbroker.worker.WorkerService;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The workers of one group whose membership a benchmark changes under load: workers in this JVM
 * that start and leave gracefully, one at a time, and workers in a JVM of their own that join
 * and can be killed as a crash would. Workers are named {@code bench-worker-<n>} in start order.
 * Not thread-safe.
 */
final class ChurningGroup implements AutoCloseable {

  private final BenchWorkers config;
  private final Map<String, String> env;
  private final Path dir;
  private final Deque<WorkerService> inThisJvm = new ArrayDeque<>();
  private final List<ChildWorker> children = new ArrayList<>();
  private final List<ChildWorker> killed = new ArrayList<>();
  private int started;

  /**
   * @param env the workers' environment (those in their own JVM inherit this JVM's too)
   * @param dir where workers in their own JVM get their config file and log
   */
  ChurningGroup(BenchWorkers config, Map<String, String> env, Path dir) {
    this.config = config;
    this.env = env;
    this.dir = dir;
  }

  /** Starts a worker in this JVM; it joins the group in the background. */
  void startHere() {
    inThisJvm.add(config.withWorkerId(nextId()).start(env));
  }

  /** Starts a worker in its own JVM and returns once it reports ready. */
  void joinInOwnJvm() throws IOException, InterruptedException {
    children.add(ChildWorker.start(config.withWorkerId(nextId()), Optional.empty(), dir, env));
  }

  /** True when every live worker reports ready. */
  boolean ready() {
    return inThisJvm.stream().allMatch(WorkerService::ready) && children.stream().allMatch(c -> c.ops().ready());
  }

  /** The oldest worker of this JVM leaves gracefully (drain, commit, leave the group); returns once it has. */
  void leaveOne() {
    WorkerService leaving = inThisJvm.pollFirst();
    if (leaving == null) {
      throw new IllegalStateException("no worker left in this JVM to leave the group");
    }
    leaving.close();
  }

  /** Kills the most recent worker in its own JVM with SIGKILL; it stays a member until its session expires. */
  void killNewestChild() throws InterruptedException {
    if (children.isEmpty()) {
      throw new IllegalStateException("no worker in its own JVM to kill");
    }
    ChildWorker victim = children.remove(children.size() - 1);
    killed.add(victim);
    victim.kill();
  }

  /** Live workers: started and neither left nor killed. */
  int live() {
    return inThisJvm.size() + children.size();
  }

  /** The ops servers of the live workers. */
  List<OpsEndpoint> endpoints() {
    List<OpsEndpoint> endpoints = new ArrayList<>();
    inThisJvm.forEach(w -> endpoints.add(new OpsEndpoint(w.opsPort())));
    children.forEach(c -> endpoints.add(c.ops()));
    return endpoints;
  }

  /** Every live worker leaves gracefully, one by one, as a scale-down would: each close hands partitions, and cap slots, to the others. */
  void leaveAll() {
    while (!inThisJvm.isEmpty()) {
      leaveOne();
    }
    while (!children.isEmpty()) {
      children.remove(0).close();
    }
  }

  @Override
  public void close() {
    leaveAll();
    killed.forEach(ChildWorker::close);
  }

  private String nextId() {
    started++;
    return "bench-worker-" + started;
  }
}
