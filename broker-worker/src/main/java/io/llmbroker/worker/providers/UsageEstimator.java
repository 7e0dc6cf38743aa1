package io.llmbroker.worker.providers;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.TokenUsage;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;

/**
 * Counts the tokens of a call whose provider reported none, so that it is priced rather than
 * billed as free, and marks the usage {@code estimated}.
 *
 * <p>A side counts as unreported when its count is missing or zero: the input then becomes
 * the prompt's tokens, and the output the answer's tokens when there is an answer. Counting
 * uses OpenAI's tokenizers (jtokkit): the model's own encoding when jtokkit knows the model
 * name, else {@code o200k_base}, which is also used as an approximation for non-OpenAI models,
 * whose tokenizers are not published as Java libraries. Message framing is counted as OpenAI
 * documents it (3 tokens a message, 1 for a name, 3 to prime the reply); tool definitions by
 * their JSON text; images, audio and files are not counted, so for them the estimate is low.
 * Thread-safe.
 */
public final class UsageEstimator {

  private static final EncodingRegistry ENCODINGS = Encodings.newLazyEncodingRegistry();
  private static final int PER_MESSAGE = 3;
  private static final int PER_NAME = 1;
  private static final int REPLY_PRIMING = 3;

  private UsageEstimator() {}

  /** The reply as it is when the provider reported both sides, else with the missing sides counted. */
  public static ProviderReply complete(ProviderCall call, ProviderReply reply) {
    TokenUsage usage = reply.usage();
    boolean inputMissing = usage == null || usage.getInputTokens() <= 0;
    boolean answered = !reply.content().isEmpty() || !reply.toolCalls().isEmpty();
    boolean outputMissing = answered && (usage == null || usage.getOutputTokens() <= 0);
    if (!inputMissing && !outputMissing) {
      return reply;
    }
    Encoding encoding = encodingFor(call.model());
    TokenUsage.Builder estimated = usage == null ? TokenUsage.newBuilder() : TokenUsage.newBuilder(usage);
    if (inputMissing) {
      estimated.setInputTokens(promptTokens(call.request(), encoding));
    }
    if (outputMissing) {
      estimated.setOutputTokens(answerTokens(reply, encoding));
    }
    return new ProviderReply(reply.content(), reply.toolCalls(), reply.finishReason(),
        estimated.setEstimated(true).build(), reply.httpStatus());
  }

  /** The prompt tokens of {@code request} sent to {@code model}, counted as for an unreported input. */
  public static int promptTokens(LlmRequest request, String model) {
    return promptTokens(request, encodingFor(model));
  }

  static Encoding encodingFor(String model) {
    String name = model.startsWith("models/") ? model.substring("models/".length()) : model;
    return ENCODINGS.getEncodingForModel(name).orElseGet(() -> ENCODINGS.getEncoding(EncodingType.O200K_BASE));
  }

  private static int promptTokens(LlmRequest request, Encoding encoding) {
    long tokens = REPLY_PRIMING;
    for (ChatMessage m : request.getMessages()) {
      tokens += PER_MESSAGE + count(encoding, m.getRole()) + count(encoding, Prompts.text(m));
      if (m.getName() != null) {
        tokens += PER_NAME + count(encoding, m.getName());
      }
      if (m.getToolCalls() != null) {
        for (ToolCall c : m.getToolCalls()) {
          tokens += count(encoding, c.getName()) + count(encoding, c.getArguments());
        }
      }
    }
    GenerationParams params = request.getParams();
    if (params != null && params.getTools() != null) {
      for (ToolDefinition t : params.getTools()) {
        tokens += count(encoding, t.getName()) + count(encoding, t.getDescription()) + count(encoding, t.getParametersJson());
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  private static int answerTokens(ProviderReply reply, Encoding encoding) {
    long tokens = count(encoding, reply.content());
    for (ToolCall c : reply.toolCalls()) {
      tokens += count(encoding, c.getName()) + count(encoding, c.getArguments());
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, tokens));
  }

  private static int count(Encoding encoding, String text) {
    // ordinary: text that happens to spell a special token is counted as text, not rejected
    return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
  }
}
