package io.llmbroker.costs.support;

import io.llmbroker.costs.config.CostAggregatorConfig;
import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.nio.file.Path;
import java.util.Map;

/** Configurations of aggregators on the test broker, for tests. */
public final class Aggregators {

  private Aggregators() {}

  /**
   * An aggregator of the job {@code <prefix>costs} on {@code topics}, committing every 200 ms,
   * serving on a free port of 127.0.0.1 and advertised there, plus {@code moreYaml}.
   */
  public static CostAggregatorConfig config(Topics topics, int partitions, Path stateDir, String moreYaml) {
    return CostAggregatorConfig.parse("""
        kafka: {bootstrap.servers: "%s"}
        topics: {prefix: "%s", partitions: %d, replication-factor: 1}
        streams: {application-id: "%scosts", state-dir: "%s", commit-interval: 200ms}
        ops: {host: 127.0.0.1, port: 0}
        %s
        """.formatted(KafkaFixture.get().bootstrapServers(), topics.prefix(), partitions, topics.prefix(), stateDir,
        moreYaml.contains("query:") ? moreYaml : moreYaml + "\nquery: {advertised-host: 127.0.0.1}"), Map.of());
  }
}
