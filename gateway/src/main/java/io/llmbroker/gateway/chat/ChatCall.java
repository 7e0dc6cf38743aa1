package io.llmbroker.gateway.chat;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.GenerationParams;
import java.util.List;
import java.util.Map;

/**
 * A chat completion request as read from OpenAI's JSON, before it becomes an {@code LlmRequest}.
 *
 * @param user OpenAI's {@code user} field: the end customer, unless the key fixes one
 * @param metadata OpenAI's {@code metadata} map: the request's tags
 */
record ChatCall(String model, List<ChatMessage> messages, GenerationParams params, boolean stream, boolean includeUsage,
    String user, Map<String, String> metadata) {}
