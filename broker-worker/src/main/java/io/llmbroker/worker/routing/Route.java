package io.llmbroker.worker.routing;

import io.llmbroker.worker.limits.CapDivision;
import io.llmbroker.worker.limits.Lane;
import io.llmbroker.worker.providers.ProviderAdapter;
import java.util.Set;

/** One deployment as the router uses it: adapter, model, lane and health. Thread-safe. */
final class Route {

  final String deployment;
  final String model;
  final ProviderAdapter adapter;
  final Lane lane;
  final DeploymentHealth health;
  private final int maxConcurrency;
  private final Long rpm;
  private final Long tpm;

  Route(String deployment, String model, ProviderAdapter adapter, Lane lane, DeploymentHealth health,
      int maxConcurrency, Long rpm, Long tpm) {
    this.deployment = deployment;
    this.model = model;
    this.adapter = adapter;
    this.lane = lane;
    this.health = health;
    this.maxConcurrency = maxConcurrency;
    this.rpm = rpm;
    this.tpm = tpm;
  }

  String provider() {
    return adapter.provider();
  }

  /** Takes this worker's share of the global limits for the partitions it owns. */
  void assign(Set<Integer> partitions, int total) {
    lane.resize((int) CapDivision.slots(maxConcurrency, partitions, total),
        rpm == null ? null : CapDivision.slots(rpm, partitions, total),
        tpm == null ? null : CapDivision.slots(tpm, partitions, total));
  }
}
