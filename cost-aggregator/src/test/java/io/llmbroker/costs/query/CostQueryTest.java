package io.llmbroker.costs.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llmbroker.avro.CostRollup;
import io.llmbroker.avro.Granularity;
import java.time.Instant;
import java.util.List;
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

  @Test
  void rangeTooLongForItsGranularityIsRefusedWithTheLimit() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("granularity", "hour", "from", "2026-09-01"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'from'")
        .hasMessageContaining("35 days")
        .hasMessageContaining("granularity=day");
  }

  @Test
  void configuredTagIsAGroupByDimensionAndAFilterWhoseEmptyValueMeansUntagged() {
    CostQuery query = CostQuery.fromParameters(Map.of("group-by", "team,feature", "feature", ""), NOW, List.of("feature"));

    assertThat(query.groupBy()).containsExactly(Dimension.TEAM, Dimension.tag("feature"));
    assertThat(query.filters()).containsEntry(Dimension.tag("feature"), "");
  }

  @Test
  void topKeepsTheGroupsThatCostMostOverTheWholeRangeAndTotalsCountEveryGroup() {
    RollupSource source = (granularity, from, to) -> List.of(
        rollup("a", NOW.minusSeconds(7200), 500), rollup("b", NOW.minusSeconds(7200), 300),
        rollup("b", NOW.minusSeconds(3600), 300), rollup("c", NOW.minusSeconds(3600), 100));
    CostQuery query = CostQuery.fromParameters(Map.of("group-by", "team", "top", "2"), NOW);

    CostAnswer answer = CostQueryEngine.answer(query, source, NOW);

    assertThat(answer.rows()).extracting(r -> r.dimension(Dimension.TEAM)).containsExactly("a", "b", "b");
    assertThat(answer.totals().costMicros()).isEqualTo(1_200);
  }

  @Test
  void topWithoutGroupByIsRefused() {
    assertThatThrownBy(() -> CostQuery.fromParameters(Map.of("top", "3"), NOW))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("'top'")
        .hasMessageContaining("group-by");
  }

  private static CostRollup rollup(String team, Instant start, long costMicros) {
    return CostRollup.newBuilder().setGranularity(Granularity.HOUR).setWindowStart(start.toEpochMilli())
        .setWindowEnd(start.plusSeconds(3600).toEpochMilli()).setTeam(team).setApp("web").setProvider("openai")
        .setModel("gpt-4o").setRequests(1).setCostMicros(costMicros).build();
  }
}
