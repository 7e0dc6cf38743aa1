package io.llmbroker.schemas.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.idl.IdlReader;

/**
 * Checks that the current schemas stay backward and forward compatible with every released
 * version: data written with a released schema must be readable with the current one
 * (backward), and data written with the current schema must be readable by code built on a
 * released one (forward). A type may not disappear once released.
 *
 * <p>Runs in the build ({@code process-classes} of {@code schemas/}); {@link #main} exits 1
 * with one line per problem, naming the schema, the released version and the field.
 */
public final class SchemaCompatibilityCheck {

  private SchemaCompatibilityCheck() {}

  /** {@code args[0]}: the current .avdl file; {@code args[1]}: the folder of released .avdl files. */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: SchemaCompatibilityCheck CURRENT.avdl RELEASED_DIR");
      System.exit(2);
    }
    List<String> problems = check(Path.of(args[0]), Path.of(args[1]));
    if (!problems.isEmpty()) {
      System.err.println("Schema compatibility check failed:");
      problems.forEach(p -> System.err.println("  " + p));
      System.exit(1);
    }
    System.out.println("Schemas are backward and forward compatible with every released version.");
  }

  /** Returns one message per incompatibility; empty when everything is compatible. */
  public static List<String> check(Path current, Path releasedDir) throws IOException {
    Map<String, Schema> now = parse(current);
    List<String> problems = new ArrayList<>();
    try (Stream<Path> files = Files.list(releasedDir)) {
      for (Path released : files.filter(p -> p.toString().endsWith(".avdl")).sorted().toList()) {
        problems.addAll(compare(now, parse(released), released.getFileName().toString()));
      }
    }
    return problems;
  }

  /** Compares the current named schemas with one released set. */
  public static List<String> compare(Map<String, Schema> current, Map<String, Schema> released, String version) {
    List<String> problems = new ArrayList<>();
    released.forEach((name, old) -> {
      Schema now = current.get(name);
      if (now == null) {
        problems.add(name + ": removed, but it was released in " + version);
        return;
      }
      report(problems, name, version, "backward", now, SchemaCompatibility.checkReaderWriterCompatibility(now, old));
      report(problems, name, version, "forward", old, SchemaCompatibility.checkReaderWriterCompatibility(old, now));
    });
    return problems;
  }

  /** Parses an Avro IDL file into its named schemas, keyed by full name. */
  public static Map<String, Schema> parse(Path avdl) throws IOException {
    return new IdlReader().parse(avdl).getNamedSchemas();
  }

  private static void report(List<String> problems, String name, String version, String direction,
      Schema reader, SchemaPairCompatibility result) {
    for (Incompatibility i : result.getResult().getIncompatibilities()) {
      problems.add(String.format("%s: not %s compatible with %s: %s at %s: %s",
          name, direction, version, i.getType(), describe(reader, i), i.getMessage()));
    }
  }

  /** Turns Avro's JSON-pointer location into field names: "field LlmRequest.created_at (/fields/9/type)". */
  private static String describe(Schema root, Incompatibility i) {
    String location = i.getLocation();
    List<String> names = new ArrayList<>();
    Schema at = root;
    String[] segments = location.split("/");
    for (int k = 1; k < segments.length && at != null; k++) {
      String segment = segments[k];
      if (segment.equals("fields") && k + 1 < segments.length && at.getType() == Schema.Type.RECORD) {
        Schema.Field field = at.getFields().get(Integer.parseInt(segments[++k]));
        names.add(names.isEmpty() ? at.getName() + "." + field.name() : field.name());
        at = field.schema();
      } else if (segment.equals("items") && at.getType() == Schema.Type.ARRAY) {
        at = at.getElementType();
      } else if (segment.equals("values") && at.getType() == Schema.Type.MAP) {
        at = at.getValueType();
      } else if (segment.matches("\\d+") && at.getType() == Schema.Type.UNION) {
        at = at.getTypes().get(Integer.parseInt(segment));
      } else if (!segment.equals("type") && !segment.equals("symbols") && !segment.equals("name")) {
        at = null;
      }
      while (at != null && at.getType() == Schema.Type.UNION && k + 1 < segments.length
          && segments[k + 1].equals("fields")) {
        at = at.getTypes().stream().filter(t -> t.getType() == Schema.Type.RECORD).findFirst().orElse(null);
      }
    }
    return names.isEmpty() ? location : "field " + String.join(".", names) + " (" + location + ")";
  }
}
