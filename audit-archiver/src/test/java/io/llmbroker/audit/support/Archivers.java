package io.llmbroker.audit.support;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.avro.AuditRecord;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Archivers on the test broker: their config, their input and their metrics. */
public final class Archivers {

  private Archivers() {}

  /**
   * An archiver of {@code topics} on the test broker, its ops server on a free port.
   *
   * @param kafkaExtra more Kafka properties, YAML flow style ({@code , key: value}), or ""
   */
  public static AuditArchiverConfig config(Topics topics, String applicationId, Path state, Path archive,
      String rollInterval, String kafkaExtra) {
    return AuditArchiverConfig.parse("""
        kafka: {bootstrap.servers: "%s"%s}
        topics: {prefix: "%s", partitions: %d, replication-factor: 1}
        streams: {application-id: "%s%s", state-dir: "%s", commit-interval: 200ms}
        archive: {dir: "%s", roll-interval: %s}
        ops: {host: 127.0.0.1, port: 0}
        """.formatted(KafkaFixture.get().bootstrapServers(), kafkaExtra, topics.prefix(), partitions(topics),
        topics.prefix(), applicationId, state, archive, rollInterval), Map.of());
  }

  /** Sends {@code records} to the audit topic, keyed by request id, at their recorded time. */
  public static void produce(Topics topics, List<AuditRecord> records) throws Exception {
    try (var producer = new KafkaProducer<>(KafkaFixture.get().clientProperties(), new StringSerializer(),
        AvroSerdes.singleObject().serde(AuditRecord.class).serializer())) {
      for (AuditRecord r : records) {
        producer.send(new ProducerRecord<>(topics.audit().name(), null, r.getRecordedAt(), r.getRequestId(), r)).get();
      }
    }
  }

  /** A counter's value on an archiver's {@code /metrics}; 0 before it is first incremented. */
  public static double metric(int opsPort, String name) {
    try {
      String metrics = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})? ([0-9.E]+)$").matcher(metrics);
      return m.find() ? Double.parseDouble(m.group(1)) : 0;
    } catch (Exception e) {
      throw new AssertionError("cannot read /metrics: " + e, e);
    }
  }

  private static int partitions(Topics topics) {
    return topics.audit().partitions().orElseThrow();
  }
}
