package io.llmbroker.gateway.batch;

import io.llmbroker.gateway.http.OpenAiError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.MediaType;
import okhttp3.MultipartReader;
import okio.Buffer;

/** A {@code multipart/form-data} body, read with OkHttp's {@link MultipartReader}. Immutable. */
final class MultipartForm {

  private static final Pattern NAME = Pattern.compile("(?i);\\s*name=\"([^\"]*)\"");
  private static final Pattern FILENAME = Pattern.compile("(?i);\\s*filename=\"([^\"]*)\"");

  private final Map<String, Part> parts;

  private MultipartForm(Map<String, Part> parts) {
    this.parts = parts;
  }

  /** @throws OpenAiError 400 when the body is not a readable multipart form */
  static MultipartForm parse(String contentType, byte[] body) {
    MediaType type = contentType == null ? null : MediaType.parse(contentType);
    String boundary = type == null ? null : type.parameter("boundary");
    if (type == null || !type.subtype().equalsIgnoreCase("form-data") || boundary == null) {
      throw OpenAiError.invalid(null, "The request must be multipart/form-data with a boundary.");
    }
    Map<String, Part> parts = new HashMap<>();
    try (MultipartReader reader = new MultipartReader(new Buffer().write(body), boundary)) {
      MultipartReader.Part part;
      while ((part = reader.nextPart()) != null) {
        String disposition = part.headers().get("Content-Disposition");
        Matcher name = NAME.matcher(disposition == null ? "" : disposition);
        if (name.find()) {
          Matcher filename = FILENAME.matcher(disposition);
          parts.put(name.group(1), new Part(filename.find() ? filename.group(1) : null, part.body().readByteArray()));
        }
        part.close();
      }
    } catch (IOException | RuntimeException e) {
      throw OpenAiError.invalid(null, "The multipart body could not be read: " + e.getMessage());
    }
    return new MultipartForm(parts);
  }

  Optional<String> field(String name) {
    return Optional.ofNullable(parts.get(name)).map(p -> new String(p.content(), StandardCharsets.UTF_8));
  }

  Optional<Part> file(String name) {
    return Optional.ofNullable(parts.get(name)).map(p -> p.filename() == null ? new Part(name, p.content()) : p);
  }

  record Part(String filename, byte[] content) {}
}
