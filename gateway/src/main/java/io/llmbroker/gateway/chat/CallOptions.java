package io.llmbroker.gateway.chat;

import io.llmbroker.avro.App;
import io.llmbroker.avro.Priority;
import io.llmbroker.gateway.http.ApiRequest;
import io.llmbroker.gateway.http.OpenAiError;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The priority and the deadline of one call, from its headers, its key and its app.
 *
 * <ul>
 *   <li>Priority: {@code X-LLM-Priority} ({@code interactive}, {@code standard}, {@code batch}) when
 *       given, else the key's default, else the app's ceiling; never above the ceiling (403).
 *   <li>Deadline: {@code X-LLM-Deadline} (an ISO-8601 instant or epoch millis) when given, else now
 *       plus the SDK's own timeout ({@code X-Stainless-Timeout} or {@code X-Stainless-Read-Timeout},
 *       seconds, as the TypeScript and Python SDKs send it), else now plus the default timeout;
 *       never more than the maximum timeout away.
 * </ul>
 *
 * @param timeout how long the gateway waits for the reply: until the deadline
 */
record CallOptions(Priority priority, Instant deadline, Duration timeout) {

  static CallOptions of(ApiRequest request, Instant now, Duration defaultTimeout, Duration maxTimeout) {
    Instant deadline = deadline(request, now, defaultTimeout);
    if (!deadline.isAfter(now)) {
      throw new OpenAiError(408, "invalid_request_error", "deadline_exceeded", null,
          "X-LLM-Deadline " + deadline + " has already passed.", false);
    }
    Instant latest = now.plus(maxTimeout);
    if (deadline.isAfter(latest)) {
      deadline = latest;
    }
    return new CallOptions(priority(request), deadline, Duration.between(now, deadline));
  }

  private static Priority priority(ApiRequest request) {
    App app = request.caller().app();
    String header = request.header("X-LLM-Priority");
    Priority wanted;
    if (header != null) {
      try {
        wanted = Priority.valueOf(header.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw OpenAiError.invalid(null, "X-LLM-Priority must be interactive, standard or batch: '" + header + "'.");
      }
    } else if (request.caller().key().getPriority() != null) {
      wanted = request.caller().key().getPriority();
    } else {
      return app.getMaxPriority();
    }
    // Priority's ordinal runs from INTERACTIVE (highest) to BATCH.
    if (wanted.ordinal() < app.getMaxPriority().ordinal()) {
      throw new OpenAiError(403, "invalid_request_error", "permission_denied", null, "Priority " + wanted
          + " is above the ceiling " + app.getMaxPriority() + " of app '" + app.getId() + "'.", false);
    }
    return wanted;
  }

  private static Instant deadline(ApiRequest request, Instant now, Duration defaultTimeout) {
    String header = request.header("X-LLM-Deadline");
    if (header != null) {
      String value = header.trim();
      try {
        return value.chars().allMatch(Character::isDigit) && !value.isEmpty()
            ? Instant.ofEpochMilli(Long.parseLong(value)) : Instant.parse(value);
      } catch (DateTimeParseException | NumberFormatException e) {
        throw OpenAiError.invalid(null, "X-LLM-Deadline must be an ISO-8601 instant or epoch milliseconds: '" + header + "'.");
      }
    }
    for (String name : new String[] {"X-Stainless-Timeout", "X-Stainless-Read-Timeout"}) {
      String seconds = request.header(name);
      if (seconds != null) {
        try {
          double s = Double.parseDouble(seconds.trim());
          if (s > 0) {
            return now.plusMillis((long) (s * 1000));
          }
        } catch (NumberFormatException e) {
          // An SDK header we cannot read is no reason to refuse the call: the default applies.
        }
      }
    }
    return now.plus(defaultTimeout);
  }
}
