package io.llmbroker.schemas.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.idl.IdlReader;

/**
 * The schemas of every released version, read from {@code schemas/released/} as packed in
 * the jar ({@code llm-broker-v1.avdl}, {@code -v2}, ... without gaps). Decoders register them
 * so that data written by any released writer can be read.
 */
final class ReleasedSchemas {

  private static final String LOCATION = "/io/llmbroker/schemas/released/llm-broker-v%d.avdl";
  private static final List<Map<String, Schema>> VERSIONS = load();

  private ReleasedSchemas() {}

  /** Every released version of the named type, oldest first. */
  static List<Schema> versionsOf(String fullName) {
    return VERSIONS.stream().map(v -> v.get(fullName)).filter(s -> s != null).toList();
  }

  private static List<Map<String, Schema>> load() {
    List<Map<String, Schema>> versions = new ArrayList<>();
    for (int v = 1; ; v++) {
      try (InputStream in = ReleasedSchemas.class.getResourceAsStream(String.format(LOCATION, v))) {
        if (in == null) {
          return List.copyOf(versions);
        }
        versions.add(new IdlReader().parse(in).getNamedSchemas());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read released schema v" + v, e);
      }
    }
  }
}
