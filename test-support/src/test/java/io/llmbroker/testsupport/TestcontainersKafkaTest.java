package io.llmbroker.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The Docker path of the fixture: runs only where a Docker engine answers, skipped elsewhere. */
@Testcontainers(disabledWithoutDocker = true)
class TestcontainersKafkaTest {

  @Container
  static final KafkaContainer KAFKA = new KafkaContainer(KafkaFixture.KAFKA_IMAGE);

  @Test
  void aContainerBrokerCarriesRecords() throws Exception {
    assertThat(KafkaFixtureTest.roundTrip(KAFKA.getBootstrapServers(), "smoke")).isEqualTo("hello");
  }
}
