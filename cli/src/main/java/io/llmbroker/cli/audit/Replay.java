package io.llmbroker.cli.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.audit.query.ArchiveQuery;
import io.llmbroker.avro.ChatMessage;
import io.llmbroker.avro.ContentPart;
import io.llmbroker.avro.GenerationParams;
import io.llmbroker.avro.LlmResponse;
import io.llmbroker.avro.Priority;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.client.LlmBrokerClient;
import io.llmbroker.client.RequestBuilder;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * Re-sends archived requests to another model and compares: each call of the window is sent again
 * through the client library with a new id, batch priority, the candidate model and the tags
 * {@value #TAG} = the replay id and {@value #TAG_OF} = the original request id (budgets leave
 * usage tagged {@value #TAG} out unless a budget asks for it; a replayed call is never replayed).
 */
public final class Replay {

  /** The tag every replayed request carries: the replay's id. */
  public static final String TAG = "llm.replay";
  /** The tag naming the request a replayed one repeats. */
  public static final String TAG_OF = "llm.replay.of";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MOST_DIFFERENT = 10;

  /** One archived call and what the candidate answered. */
  public record Pair(String requestId, String originalStatus, String originalAnswer, long originalCostMicros,
      long originalMs, LlmResponse candidate) {}

  private Replay() {}

  /**
   * Sends every call matching {@code condition} (SQL over {@code calls}) again as {@code model}
   * and waits for every answer.
   *
   * @return the pairs, in the archive's request order
   */
  public static List<Pair> run(ArchiveQuery archive, String condition, String model, String replayId,
      LlmBrokerClient client, Duration timeout) throws SQLException, IOException {
    List<Map<String, Object>> calls = archive.rows("SELECT request_id, team, app, customer, tags, messages, params, "
        + "status, answer, cost_micros, total_ms FROM calls WHERE (" + condition + ") AND tags['" + TAG + "'] IS NULL "
        + "ORDER BY created_at, request_id");
    List<CompletableFuture<LlmResponse>> replies = new ArrayList<>();
    for (Map<String, Object> call : calls) {
      RequestBuilder request = client.request()
          .id(replayId + "-" + call.get("request_id"))
          .team((String) call.get("team"))
          .app((String) call.get("app"))
          .tags(tags(call.get("tags")))
          .tag(TAG, replayId)
          .tag(TAG_OF, (String) call.get("request_id"))
          .model(model)
          .messages(messages(call.get("messages").toString()))
          .params(params(call.get("params").toString()))
          .priority(Priority.BATCH)
          .timeout(timeout);
      if (call.get("customer") != null) {
        request.customer((String) call.get("customer"));
      }
      replies.add(request.submit());
    }
    List<Pair> pairs = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      Map<String, Object> call = calls.get(i);
      pairs.add(new Pair((String) call.get("request_id"), (String) call.get("status"), (String) call.get("answer"),
          ((Number) call.get("cost_micros")).longValue(), ((Number) call.get("total_ms")).longValue(),
          replies.get(i).join()));
    }
    return pairs;
  }

  /** The side-by-side report, in Markdown. */
  public static String report(String replayId, String window, String model, List<Pair> pairs) {
    StringBuilder r = new StringBuilder();
    r.append("# Replay ").append(replayId).append("\n\n")
        .append(pairs.size()).append(" archived calls (").append(window).append(") sent again as `").append(model)
        .append("` at batch priority, tagged `").append(TAG).append("=").append(replayId).append("`.\n\n")
        .append("| | original | candidate |\n|---|---:|---:|\n");
    row(r, "answered (OK)", count(pairs, p -> "OK".equals(p.originalStatus())),
        count(pairs, p -> p.candidate().getStatus() == ResponseStatus.OK));
    row(r, "errors", count(pairs, p -> !"OK".equals(p.originalStatus())),
        count(pairs, p -> p.candidate().getStatus() != ResponseStatus.OK));
    row(r, "cost ($)", dollars(pairs, Pair::originalCostMicros), dollars(pairs, p -> p.candidate().getCostMicros()));
    for (double q : new double[] {0.5, 0.95, 0.99}) {
      row(r, "latency p" + Math.round(q * 100) + " (ms)", percentile(pairs, Pair::originalMs, q),
          percentile(pairs, p -> p.candidate().getTimings().getTotalMs(), q));
    }
    row(r, "answer length (mean chars)", meanLength(pairs.stream().map(Pair::originalAnswer).toList()),
        meanLength(pairs.stream().map(p -> p.candidate().getContent()).toList()));
    Map<String, Long> errors = pairs.stream().map(Pair::candidate).filter(c -> c.getStatus() != ResponseStatus.OK)
        .collect(Collectors.groupingBy(c -> c.getStatus() + (c.getError() == null ? "" : ": " + c.getError().getMessage()),
            TreeMap::new, Collectors.counting()));
    if (!errors.isEmpty()) {
      r.append("\n## Why the candidate's calls failed\n\n| calls | status and reason |\n|---:|---|\n");
      errors.forEach((reason, n) -> r.append("| ").append(n).append(" | ").append(cell(reason)).append(" |\n"));
    }
    r.append("\n## The ").append(MOST_DIFFERENT).append(" answers that differ most\n\n")
        .append("Similarity: shared words over all words of both answers (1 = same words).\n\n")
        .append("| request | similarity | original | candidate |\n|---|---:|---|---|\n");
    pairs.stream()
        .sorted(Comparator.comparingDouble(p -> similarity(p.originalAnswer(), p.candidate().getContent())))
        .limit(MOST_DIFFERENT)
        .forEach(p -> r.append("| ").append(p.requestId()).append(" | ")
            .append(String.format(Locale.ROOT, "%.2f", similarity(p.originalAnswer(), p.candidate().getContent())))
            .append(" | ").append(cell(p.originalAnswer())).append(" | ").append(cell(p.candidate().getContent()))
            .append(" |\n"));
    return r.toString();
  }

  /** Jaccard similarity of the two texts' lower-case word sets; 1 when both are empty. */
  static double similarity(String a, String b) {
    Set<String> x = words(a);
    Set<String> y = words(b);
    if (x.isEmpty() && y.isEmpty()) {
      return 1;
    }
    Set<String> union = new HashSet<>(x);
    union.addAll(y);
    x.retainAll(y);
    return (double) x.size() / union.size();
  }

  private static Set<String> words(String text) {
    return text == null || text.isBlank() ? new HashSet<>()
        : new HashSet<>(Arrays.asList(text.toLowerCase(Locale.ROOT).split("\\W+")));
  }

  private static void row(StringBuilder r, String what, Object original, Object candidate) {
    r.append("| ").append(what).append(" | ").append(original).append(" | ").append(candidate).append(" |\n");
  }

  private static long count(List<Pair> pairs, java.util.function.Predicate<Pair> p) {
    return pairs.stream().filter(p).count();
  }

  private static String dollars(List<Pair> pairs, ToLongFunction<Pair> micros) {
    return BigDecimal.valueOf(pairs.stream().mapToLong(micros).sum(), 6).toPlainString();
  }

  private static long percentile(List<Pair> pairs, ToLongFunction<Pair> value, double q) {
    long[] sorted = pairs.stream().mapToLong(value).sorted().toArray();
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }

  private static long meanLength(List<String> answers) {
    return Math.round(answers.stream().mapToInt(a -> a == null ? 0 : a.length()).average().orElse(0));
  }

  private static String cell(String text) {
    String t = Objects.toString(text, "").replace('\n', ' ').replace("|", "\\|");
    return t.length() > 80 ? t.substring(0, 79) + "…" : t;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> tags(Object map) {
    Map<String, String> tags = new HashMap<>();
    if (map instanceof Map<?, ?> m) {
      m.forEach((k, v) -> tags.put(String.valueOf(k), String.valueOf(v)));
    }
    return tags;
  }

  /** The archive's OpenAI-shaped messages back into wire messages (text content; other parts kept as parts). */
  static List<ChatMessage> messages(String json) throws IOException {
    List<ChatMessage> out = new ArrayList<>();
    for (JsonNode m : JSON.readTree(json)) {
      List<ContentPart> parts = new ArrayList<>();
      JsonNode content = m.path("content");
      if (content.isTextual()) {
        parts.add(ContentPart.newBuilder().setText(content.asText()).build());
      } else {
        for (JsonNode p : content) {
          parts.add(ContentPart.newBuilder().setType(p.path("type").asText("text"))
              .setText(p.hasNonNull("text") ? p.get("text").asText() : null)
              .setUrl(p.hasNonNull("url") ? p.get("url").asText() : null)
              .setDetail(p.hasNonNull("detail") ? p.get("detail").asText() : null).build());
        }
      }
      out.add(ChatMessage.newBuilder().setRole(m.path("role").asText()).setContent(parts)
          .setName(m.hasNonNull("name") ? m.get("name").asText() : null)
          .setToolCallId(m.hasNonNull("tool_call_id") ? m.get("tool_call_id").asText() : null).build());
    }
    return out;
  }

  /** The sampling parameters that carry over to another model. */
  static GenerationParams params(String json) throws IOException {
    JsonNode p = JSON.readTree(json);
    GenerationParams.Builder b = GenerationParams.newBuilder();
    if (p.has("temperature")) {
      b.setTemperature((float) p.get("temperature").asDouble());
    }
    if (p.has("top_p")) {
      b.setTopP((float) p.get("top_p").asDouble());
    }
    if (p.has("max_tokens")) {
      b.setMaxTokens(p.get("max_tokens").asInt());
    }
    if (p.has("seed")) {
      b.setSeed(p.get("seed").asLong());
    }
    if (p.has("stop")) {
      List<String> stop = new ArrayList<>();
      p.get("stop").forEach(s -> stop.add(s.asText()));
      b.setStop(stop);
    }
    return b.build();
  }
}
