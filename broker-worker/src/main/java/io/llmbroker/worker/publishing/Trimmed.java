package io.llmbroker.worker.publishing;

import io.llmbroker.avro.AuditRecord;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.ErrorClass;
import io.llmbroker.avro.ErrorInfo;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmRequest;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.ToolCall;
import io.llmbroker.avro.ToolDefinition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small stand-ins for outputs that could not be published whole. Every text is cut to a few
 * KiB and every list to a few dozen items, so a stand-in stays far below any producer's
 * {@code max.request.size} whatever the original held. Stateless.
 */
final class Trimmed {

  static final int TEXT = 1024;
  static final int CONTENT = 4096;
  static final int ITEMS = 16;
  private static final String CUT = "…[truncated]";

  private Trimmed() {}

  /** The audit record with its request's and response's texts cut down, marked {@code truncated}. */
  static AuditRecord audit(AuditRecord full) {
    LlmResponse response = full.getResponse();
    LlmResponse.Builder trimmedResponse = LlmResponse.newBuilder(response)
        .setContent(cut(response.getContent(), CONTENT))
        .setToolCalls(response.getToolCalls() == null ? null : toolCalls(response.getToolCalls()));
    if (response.getError() != null) {
      trimmedResponse.setError(ErrorInfo.newBuilder(response.getError())
          .setMessage(cut(response.getError().getMessage(), TEXT)).build());
    }
    return AuditRecord.newBuilder(full)
        .setRequest(request(full.getRequest()))
        .setResponse(trimmedResponse.build())
        .setAttempts(first(full.getAttempts()))
        .setTruncated(true)
        .build();
  }

  /**
   * An ERROR reply in place of a response that the reply topic refused (too large, say): the
   * caller learns at once that the answer exists but cannot be delivered, instead of timing out.
   */
  static LlmResponse reply(LlmResponse full, Throwable error) {
    return LlmResponse.newBuilder(full)
        .setStatus(ResponseStatus.ERROR)
        .setContent(null)
        .setToolCalls(null)
        .setError(ErrorInfo.newBuilder().setErrorClass(ErrorClass.INTERNAL)
            .setMessage(cut("the worker could not publish the response: " + error.getClass().getSimpleName() + ": "
                + error.getMessage(), TEXT))
            .build())
        .build();
  }

  private static LlmRequest request(LlmRequest full) {
    Map<String, String> tags = new LinkedHashMap<>();
    full.getTags().entrySet().stream().limit(ITEMS * 4L).forEach(e -> tags.put(cut(e.getKey(), TEXT), cut(e.getValue(), TEXT)));
    GenerationParams params = full.getParams();
    GenerationParams.Builder trimmedParams = GenerationParams.newBuilder(params)
        .setStop(first(params.getStop()).stream().map(s -> cut(s, TEXT)).toList());
    if (params.getTools() != null) {
      trimmedParams.setTools(first(params.getTools()).stream().map(t -> ToolDefinition.newBuilder(t)
          .setDescription(cut(t.getDescription(), TEXT)).setParametersJson(cut(t.getParametersJson(), TEXT)).build())
          .toList());
    }
    return LlmRequest.newBuilder(full)
        .setTeam(cut(full.getTeam(), TEXT))
        .setApp(cut(full.getApp(), TEXT))
        .setCustomer(cut(full.getCustomer(), TEXT))
        .setModel(cut(full.getModel(), TEXT))
        .setReplyTo(cut(full.getReplyTo(), TEXT))
        .setTags(tags)
        .setMessages(first(full.getMessages()).stream().map(Trimmed::message).toList())
        .setParams(trimmedParams.build())
        .build();
  }

  private static ChatMessage message(ChatMessage full) {
    return ChatMessage.newBuilder(full)
        .setContent(first(full.getContent()).stream().map(part -> ContentPart.newBuilder(part)
            .setText(cut(part.getText(), TEXT)).setUrl(cut(part.getUrl(), TEXT)).build()).toList())
        .setToolCalls(full.getToolCalls() == null ? null : toolCalls(full.getToolCalls()))
        .build();
  }

  private static List<ToolCall> toolCalls(List<ToolCall> calls) {
    return first(calls).stream().map(c -> ToolCall.newBuilder(c).setArguments(cut(c.getArguments(), TEXT)).build())
        .toList();
  }

  private static <T> List<T> first(List<T> items) {
    return items.size() <= ITEMS ? items : List.copyOf(items.subList(0, ITEMS));
  }

  private static String cut(String text, int max) {
    return text == null || text.length() <= max ? text : text.substring(0, max) + CUT;
  }
}
