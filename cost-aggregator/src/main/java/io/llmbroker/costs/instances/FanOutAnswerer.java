package io.llmbroker.costs.instances;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.costs.query.CostAnswer;
import io.llmbroker.costs.query.CostAnswerer;
import io.llmbroker.costs.query.CostQuery;
import io.llmbroker.costs.query.CostQueryEngine;
import io.llmbroker.costs.query.CostQueryHandler;
import io.llmbroker.costs.query.CostRow;
import io.llmbroker.costs.query.CostRowsFormat;
import io.llmbroker.costs.query.StreamsRollupSource;
import io.llmbroker.costs.topology.CostTopology;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers a query over every instance of the job: Kafka Streams' metadata for the rollup stores
 * says which instance ({@code application.server}) holds which partition as active; this instance
 * reads its own, asks each other one for its part over HTTP ({@code scope=local&partitions=...}),
 * and sums the parts. Every partition must be answered by exactly the instance that owns it:
 * when one has no owner (rebalancing), its owner cannot be reached or does not answer in time, or
 * its store is still restoring, the query fails naming the instance and the partitions instead of
 * returning a partial sum. Thread-safe.
 */
public final class FanOutAnswerer implements CostAnswerer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaStreams streams;
  private final HostInfo self;
  private final String storeTopic;
  private final int partitions;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param self this instance's {@code application.server}
   * @param storeTopic the topic whose partitions the rollup stores are split by (the job's repartition topic)
   * @param partitions how many partitions that topic has
   * @param timeout how long another instance's part is waited for
   */
  public FanOutAnswerer(KafkaStreams streams, HostInfo self, String storeTopic, int partitions, Duration timeout) {
    this.streams = streams;
    this.self = self;
    this.storeTopic = storeTopic;
    this.partitions = partitions;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public CostAnswer answer(CostQuery query, Instant now) {
    Map<HostInfo, Set<Integer>> owners = owners();
    Map<HostInfo, CompletableFuture<List<CostRow>>> remote = new LinkedHashMap<>();
    owners.forEach((host, ps) -> {
      if (!host.equals(self)) {
        remote.put(host, ask(host, query, ps));
      }
    });
    List<List<CostRow>> parts = new ArrayList<>();
    if (owners.containsKey(self)) {
      parts.add(part(query, owners.get(self)));
    }
    for (Map.Entry<HostInfo, CompletableFuture<List<CostRow>>> r : remote.entrySet()) {
      parts.add(await(r.getKey(), owners.get(r.getKey()), r.getValue()));
    }
    return CostQueryEngine.finish(query, parts, now);
  }

  @Override
  public List<CostRow> part(CostQuery query, Set<Integer> ps) {
    try {
      return CostQueryEngine.rows(query, new StreamsRollupSource(streams, ps));
    } catch (InvalidStateStoreException e) {
      throw new CostAnswerer.AnswerUnavailableException("instance " + name(self) + " cannot read partitions " + new TreeSet<>(ps)
          + " of the rollups (restoring, or moved by a rebalance: " + e.getMessage() + "); retry shortly");
    }
  }

  /** The owner of every partition of the rollup stores, or a refusal naming those without one. */
  private Map<HostInfo, Set<Integer>> owners() {
    KafkaStreams.State state = streams.state();
    if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
      throw new CostAnswerer.AnswerUnavailableException("instance " + name(self) + " is " + state + "; retry shortly");
    }
    Map<HostInfo, Set<Integer>> owners = new LinkedHashMap<>();
    Set<Integer> owned = new TreeSet<>();
    for (StreamsMetadata instance : streams.streamsMetadataForStore(CostTopology.HOURLY_STORE)) {
      for (TopicPartition tp : instance.topicPartitions()) {
        if (tp.topic().equals(storeTopic)) {
          if (!owned.add(tp.partition())) {
            throw new CostAnswerer.AnswerUnavailableException("partition " + tp.partition()
                + " of the rollups has two owners in this instance's view (the instances are rebalancing); retry shortly");
          }
          owners.computeIfAbsent(instance.hostInfo(), h -> new TreeSet<>()).add(tp.partition());
        }
      }
    }
    Set<Integer> missing = new TreeSet<>();
    for (int p = 0; p < partitions; p++) {
      if (!owned.contains(p)) {
        missing.add(p);
      }
    }
    if (!missing.isEmpty()) {
      throw new CostAnswerer.AnswerUnavailableException("partitions " + missing + " of the rollups have no instance yet"
          + " (the instances are rebalancing); retry shortly");
    }
    return owners;
  }

  private CompletableFuture<List<CostRow>> ask(HostInfo host, CostQuery query, Set<Integer> ps) {
    String partitionList = ps.stream().map(String::valueOf).collect(Collectors.joining(","));
    URI uri = URI.create("http://" + host.host() + ":" + host.port() + CostQueryHandler.PATH + "?" + query.toQueryString()
        + "&scope=local&partitions=" + partitionList);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
      if (response.statusCode() != 200) {
        throw new CostAnswerer.AnswerUnavailableException("instance " + name(host) + " (partitions " + ps + ") answered "
            + response.statusCode() + ": " + errorOf(response.body()));
      }
      return CostRowsFormat.rows(response.body());
    });
  }

  private List<CostRow> await(HostInfo host, Set<Integer> ps, CompletableFuture<List<CostRow>> part) {
    try {
      return part.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CostAnswerer.AnswerUnavailableException refused) {
        throw refused;
      }
      throw unreachable(host, ps, String.valueOf(e.getCause()));
    } catch (TimeoutException e) {
      throw unreachable(host, ps, "no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unreachable(host, ps, "interrupted");
    }
  }

  private static CostAnswerer.AnswerUnavailableException unreachable(HostInfo host, Set<Integer> ps, String why) {
    return new CostAnswerer.AnswerUnavailableException("instance " + name(host) + " holding partitions " + ps
        + " of the rollups is unreachable (" + why + "); no partial sum is returned");
  }

  private static String errorOf(String body) {
    try {
      return JSON.readTree(body).path("error").asText(body);
    } catch (IOException e) {
      return body;
    }
  }

  private static String name(HostInfo host) {
    return host.host() + ":" + host.port();
  }
}
