package io.llmbroker.worker.providers;

import static org.assertj.core.api.Assertions.assertThat;

import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageEstimatorTest {

  private static final ProviderCall HELLO = CallFixtures.call(CallFixtures.simple("hello"), "gpt-4o-mini");

  private static ProviderReply reply(String content, List<ToolCall> calls, int input, int output) {
    TokenUsage usage = TokenUsage.newBuilder().setInputTokens(input).setOutputTokens(output).build();
    return new ProviderReply(content, calls, "stop", usage, 200);
  }

  @Test
  void reportedUsageIsKeptAsItIs() {
    ProviderReply reported = reply("Hello world", List.of(), 120, 40);

    assertThat(UsageEstimator.complete(HELLO, reported)).isSameAs(reported);
  }

  @Test
  void onlyTheMissingSideIsCounted() {
    ProviderReply outputMissing = reply("Hello world", List.of(), 120, 0);

    TokenUsage usage = UsageEstimator.complete(HELLO, outputMissing).usage();

    assertThat(usage.getInputTokens()).isEqualTo(120);
    assertThat(usage.getOutputTokens()).isEqualTo(2);
    assertThat(usage.getEstimated()).isTrue();
  }

  @Test
  void anEmptyAnswerHasNoOutputToCount() {
    ProviderReply empty = reply("", List.of(), 120, 0);

    assertThat(UsageEstimator.complete(HELLO, empty)).isSameAs(empty);
  }

  @Test
  void toolCallsAreCountedAsOutputAndTheRichPromptAsInput() {
    ToolCall call = ToolCall.newBuilder().setId("c1").setName("lookup").setArguments("{\"q\":\"a black cat\"}").build();
    ProviderCall rich = CallFixtures.call(CallFixtures.rich(), "gpt-4o-mini");

    TokenUsage usage = UsageEstimator.complete(rich, reply("", List.of(call), 0, 0)).usage();

    // system, user (image not counted), assistant tool call, tool result, and the tool definition
    assertThat(usage.getInputTokens()).isBetween(40, 80);
    assertThat(usage.getOutputTokens()).isBetween(6, 12);
    assertThat(usage.getEstimated()).isTrue();
  }

  @Test
  void aModelJtokkitKnowsUsesItsOwnEncodingAndAnyOtherO200k() {
    assertThat(UsageEstimator.encodingFor("gpt-4").getName()).isEqualTo("cl100k_base");
    assertThat(UsageEstimator.encodingFor("gpt-4o-mini").getName()).isEqualTo("o200k_base");
    assertThat(UsageEstimator.encodingFor("claude-sonnet-4-5").getName()).isEqualTo("o200k_base");
    assertThat(UsageEstimator.encodingFor("models/gemini-2.5-flash").getName()).isEqualTo("o200k_base");
  }
}
