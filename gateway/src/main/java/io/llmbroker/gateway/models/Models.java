package io.llmbroker.gateway.models;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmbroker.gateway.http.ApiRequest;
import io.llmbroker.gateway.http.HttpReply;
import io.llmbroker.gateway.http.Json;
import io.llmbroker.gateway.http.OpenAiError;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{id}}: the models the caller's app may request;
 * for an app allowed any model ({@code *}), the configured list of the workers' aliases. Thread-safe.
 */
public final class Models {

  private final List<String> anyModel;

  /** @param anyModel what an app allowed {@code *} sees */
  public Models(List<String> anyModel) {
    this.anyModel = List.copyOf(anyModel);
  }

  public CompletionStage<HttpReply> list(ApiRequest request) {
    ObjectNode root = Json.MAPPER.createObjectNode().put("object", "list");
    ArrayNode data = root.putArray("data");
    visible(request).forEach(id -> data.add(model(id)));
    return CompletableFuture.completedFuture(HttpReply.json(200, root));
  }

  public CompletionStage<HttpReply> get(ApiRequest request) {
    String id = request.path().substring("/v1/models/".length());
    boolean any = request.caller().app().getModels().contains("*");
    if (!any && !visible(request).contains(id)) {
      throw OpenAiError.notFound("model_not_found", "model", "The model '" + id + "' does not exist or you do not have access to it.");
    }
    return CompletableFuture.completedFuture(HttpReply.json(200, model(id)));
  }

  private Set<String> visible(ApiRequest request) {
    Set<String> ids = new LinkedHashSet<>();
    for (String m : request.caller().app().getModels()) {
      if (m.equals("*")) {
        ids.addAll(anyModel);
      } else {
        ids.add(m);
      }
    }
    return ids;
  }

  private static ObjectNode model(String id) {
    return Json.MAPPER.createObjectNode().put("id", id).put("object", "model").put("created", 0).put("owned_by", "llm-broker");
  }
}
