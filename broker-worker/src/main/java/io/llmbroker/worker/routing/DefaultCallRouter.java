package io.llmbroker.worker.routing;

import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.Priority;
import io.llmbroker.runtime.config.ConfigException;
import io.llmbroker.runtime.retry.Backoff;
import io.llmbroker.worker.limits.DelayScheduler;
import io.llmbroker.worker.limits.Lane;
import io.llmbroker.worker.limits.MinShares;
import io.llmbroker.worker.pricing.PriceTable;
import io.llmbroker.worker.providers.ProviderAdapter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's {@link CallRouter}: one {@link Lane} per deployment, adapters built from the
 * routing config, retries, fallbacks and cool-downs as described on {@link Execution}.
 *
 * <p>Model strings resolve as an alias, then a deployment name, then an allow-listed
 * {@code provider/model}: the deployment serving that provider and model when one is configured
 * (so the request shares its cap), else an implicit deployment created on first use with the
 * provider's limits (see {@link RoutingConfig}). Global caps: before the first {@link #assign}
 * every lane has the deployment's full cap; after it, the share of the partitions this worker
 * owns (see {@link io.llmbroker.worker.limits.CapDivision}). The Kafka side calls {@code assign}
 * when its assignment shrinks, before it lets the partitions go, and waits until
 * {@link #withinShares} holds (calls still in flight keep their slots and delay new admissions on
 * a lane that shrank), so that the old and the new owner of a partition do not both use its slots.
 *
 * <p>Thread-safe. {@link #close} stops the timer thread: call it after in-flight work drained.
 *
 * @throws ConfigException from the constructor when a provider's key variable is not set
 */
public final class DefaultCallRouter implements CallRouter {

  private static final Logger log = LoggerFactory.getLogger(DefaultCallRouter.class);

  private final RoutingConfig config;
  private final Clock clock;
  private final MeterRegistry meters;
  private final ScheduledThreadPoolExecutor scheduler;
  private final RouterContext context;
  private final Map<String, ProviderAdapter> adapters = new HashMap<>();
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final MinShares shares;
  private volatile Assignment assignment;

  private record Assignment(Set<Integer> partitions, int total) {}

  public DefaultCallRouter(RoutingConfig config, Map<String, String> env, MeterRegistry meters, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.scheduler = new ScheduledThreadPoolExecutor(2, r -> {
      Thread t = new Thread(r, "llm-router-timer");
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    RoutingConfig.MinShare m = config.minShare();
    this.shares = new MinShares(m.interactive(), m.standard(), m.batch());
    this.context = new RouterContext(config, clock, scheduler,
        Backoff.exponential(config.retry().initialBackoff(), config.retry().maxBackoff()),
        new PriceTable(config.priceList(), meters), new RouterMetrics(meters));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    config.providers().forEach((name, provider) -> adapters.put(name, Adapters.create(name, provider, env, http, scheduler, clock)));
    config.deployments().forEach((name, d) -> routes.put(name, newRoute(name, d.provider(), d.model(),
        d.maxConcurrency(), d.rpm(), d.tpm())));
  }

  @Override
  public Optional<String> routeProblem(String model) {
    if (!resolve(model).isEmpty()) {
      return Optional.empty();
    }
    int slash = model == null ? -1 : model.indexOf('/');
    if (slash > 0 && config.providers().containsKey(model.substring(0, slash))) {
      return Optional.of("model '" + model + "' is not allowed: provider/model routes must be listed in"
          + " routing.allow-implicit " + config.allowImplicit());
    }
    return Optional.of("unknown model: '" + model + "' is neither a configured alias, a deployment nor an"
        + " allowed provider/model");
  }

  @Override
  public List<String> servingModels(String model) {
    return resolve(model).stream().map(r -> r.model).distinct().toList();
  }

  @Override
  public CompletableFuture<CallOutcome> call(LlmRequest request, Priority priority, long deadlineMillis) {
    List<Route> candidates = resolve(request.getModel());
    if (candidates.isEmpty()) {
      return CompletableFuture.completedFuture(new CallOutcome(Optional.empty(),
          Optional.of(ErrorInfo.newBuilder().setErrorClass(ErrorClass.CALLER_FAULT)
              .setMessage(routeProblem(request.getModel()).orElse("no route")).build()),
          List.of(), Optional.empty(), 0));
    }
    return new Execution(context, request, priority == null ? Priority.STANDARD : priority, deadlineMillis, candidates).start();
  }

  @Override
  public boolean withdraw(CompletableFuture<CallOutcome> call) {
    return call instanceof Execution.Outcome outcome ? outcome.withdraw() : call.cancel(false);
  }

  @Override
  public boolean withinShares() {
    return routes.values().stream().allMatch(r -> r.lane.withinCapacity());
  }

  @Override
  public void assign(Set<Integer> partitionIndices, int totalPartitions) {
    if (totalPartitions < 1) {
      throw new IllegalArgumentException("totalPartitions must be >= 1: " + totalPartitions);
    }
    Assignment a = new Assignment(Set.copyOf(partitionIndices), totalPartitions);
    synchronized (routes) {
      assignment = a;
      routes.values().forEach(r -> r.assign(a.partitions(), a.total()));
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The lane of a deployment (configured or implicit), for metrics and tests. */
  Lane lane(String deployment) {
    Route r = routes.get(deployment);
    return r == null ? null : r.lane;
  }

  private List<Route> resolve(String model) {
    if (model == null) {
      return List.of();
    }
    List<String> alias = config.aliases().get(model);
    if (alias != null) {
      return alias.stream().map(routes::get).toList();
    }
    Route direct = routes.get(model);
    if (direct != null) {
      return List.of(direct);
    }
    int slash = model.indexOf('/');
    if (slash <= 0 || slash == model.length() - 1) {
      return List.of();
    }
    String providerName = model.substring(0, slash);
    RoutingConfig.Provider provider = config.providers().get(providerName);
    if (provider == null || !config.implicitAllowed(model)) {
      return List.of();
    }
    String modelName = model.substring(slash + 1);
    for (var d : config.deployments().entrySet()) {
      if (d.getValue().provider().equals(providerName) && d.getValue().model().equals(modelName)) {
        return List.of(routes.get(d.getKey()));
      }
    }
    return List.of(routes.computeIfAbsent(model, name -> {
      synchronized (routes) {
        Route r = newRoute(name, providerName, modelName, provider.maxConcurrency(), provider.rpm(), provider.tpm());
        Assignment a = assignment;
        if (a != null) {
          r.assign(a.partitions(), a.total());
        }
        return r;
      }
    }));
  }

  private Route newRoute(String name, String provider, String model, int maxConcurrency, Long rpm, Long tpm) {
    Lane lane = new Lane(name, maxConcurrency, rpm, tpm, shares, clock, DelayScheduler.of(scheduler), meters);
    DeploymentHealth health = new DeploymentHealth(name, config.cooldown().afterFailures(),
        config.cooldown().duration(), clock, () -> {
          log.warn("deployment '{}' cooled down for {}", name, config.cooldown().duration());
          context.metrics.cooldown(name);
        });
    return new Route(name, model, adapters.get(provider), lane, health, maxConcurrency, rpm, tpm);
  }
}
