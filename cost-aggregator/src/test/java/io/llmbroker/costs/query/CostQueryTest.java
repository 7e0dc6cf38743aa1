package io.llmbroker.costs.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.Granularity;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CostQueryTest {

  private static final Instant NOW = Instant.parse("2026-11-23T12:34:56Z");

  @Test
  void queryStringRoundTrips() {
    CostQuery query = CostQuery.of(Granularity.DAY, Instant.parse("2026-11-01T00:00:00Z"), NOW)
        .groupedBy(Dimension.TEAM, Dimension.MODEL)
        .where(Dimension.PROVIDER, "open ai&co");

    CostQuery read = CostQuery.fromParameters(CostQuery.parameters(query.toQueryString()), NOW);

    assertThat(read).isEqualTo(query);
  }

  @Test
  void datesAndDefaultsAreUnderstood() {
    CostQuery query = CostQuery.fromParameters(Map.of("from", "2026-11-20"), NOW);

    assertThat(query.granularity()).isEqualTo(Granularity.HOUR);
    assertThat(query.from()).isEqualTo(Instant.parse("2026-11-20T00:00:00Z"));
    assertThat(query.to()).isEqualTo(NOW);
    assertThat(query.groupBy()).isEmpty();
  }

  @Test
  void unknownGranularityNamesParameterAndValue() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("granularity", "week"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'granularity'")
        .hasMessageContaining("'week'");
  }

  @Test
  void unknownGroupByDimensionNamesIt() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("group-by", "team,region"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'group-by'")
        .hasMessageContaining("region");
  }

  @Test
  void misspelledParameterIsRefusedRatherThanIgnored() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("teams", "search"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'teams'");
  }

  @Test
  void fromAfterToIsRefused() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("from", "2026-11-24T00:00:00Z"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'from'");
  }

  @Test
  void unparseableTimeNamesParameterAndValue() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("to", "yesterday"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'to'")
        .hasMessageContaining("'yesterday'");
  }

  @Test
  void repeatedParameterIsRefused() {
    assertThatThrownBy(() -> CostQuery.parameters("team=a&team=b"))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'team'");
  }
}
