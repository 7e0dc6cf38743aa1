package io.llmbroker.client.batch;

import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.GenerationParams;
import java.util.List;

/**
 * One valid input line: a chat completion request with its custom_id.
 *
 * @param line 1-based line number
 * @param customId the caller's id, unique within the batch
 * @param model the body's model, or null when the submission names one for every line
 * @param messages the chat messages, never empty
 * @param params generation parameters
 */
public record BatchLine(long line, String customId, String model, List<ChatMessage> messages, GenerationParams params) {}
