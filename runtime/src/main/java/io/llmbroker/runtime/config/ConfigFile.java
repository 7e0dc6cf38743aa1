package io.llmbroker.runtime.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a service's YAML config: {@code ${NAME}} and {@code ${NAME:-default}} are replaced from
 * the environment in scalar values, after parsing, so they work in any YAML style (block or flow
 * {@code {port: ${PORT:-8081}}}, quoted or plain) and a variable's value is never read as YAML;
 * then the tree is bound to immutable records (kebab-case keys). Records
 * validate themselves in their compact constructors; durations are written {@code 30s},
 * {@code 250ms} (see {@link Durations}); any failure becomes a
 * {@link ConfigException} naming the key path and the value.
 */
public final class ConfigFile {

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  /** kebab-case keys, unknown keys rejected so that typos fail at start. */
  public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .registerModule(new SimpleModule("durations").addDeserializer(Duration.class, new StdScalarDeserializer<>(Duration.class) {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
          return Durations.parse(p.getValueAsString());
        }
      }));

  private ConfigFile() {}

  /** Reads {@code file}, substitutes variables from {@code env}, binds it to {@code type}. */
  public static <T> T load(Path file, Class<T> type, Map<String, String> env) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file not found: " + file);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    return parse(text, type, env);
  }

  /** Parses YAML text, substitutes variables from {@code env}, binds it to {@code type}. */
  public static <T> T parse(String yaml, Class<T> type, Map<String, String> env) {
    Placeholders placeholders = Placeholders.hide(yaml);
    JsonNode tree;
    try {
      tree = YAML.readTree(placeholders.text());
    } catch (IOException e) {
      throw new ConfigException("config is not valid YAML: " + placeholders.restore(e.getMessage()), e);
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      tree = YAML.createObjectNode();
    }
    return bind(substitute(tree, "", placeholders, env::get), type);
  }

  /**
   * The text of a config file shipped as a resource beside {@code owner} (a service's bundled default).
   *
   * @throws IllegalStateException when the resource is missing from the classpath
   */
  public static String resource(Class<?> owner, String name) {
    try (InputStream in = owner.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("bundled config missing from the classpath: " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled config " + name, e);
    }
  }

  /** Binds an already substituted tree to {@code type}. */
  public static <T> T bind(JsonNode tree, Class<T> type) {
    try {
      return YAML.treeToValue(tree, type);
    } catch (JsonMappingException e) {
      String key = e.getPath().stream()
          .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
          .collect(Collectors.joining(".")).replace(".[", "[");
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String problem = root instanceof IllegalArgumentException || root instanceof ConfigException
          ? root.getMessage() : e.getOriginalMessage();
      throw ConfigException.forKey(key.isEmpty() ? "(root)" : key, problem);
    } catch (IOException e) {
      throw new ConfigException("cannot bind config: " + e.getMessage(), e);
    }
  }

  /** Keys keep their text as written; scalar values get their variables replaced. */
  private static JsonNode substitute(JsonNode node, String path, Placeholders placeholders, Function<String, String> env) {
    if (node.isTextual()) {
      return new TextNode(expand(placeholders.restore(node.asText()), path, env));
    }
    if (node.isObject()) {
      ObjectNode copy = YAML.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String key = placeholders.restore(field.getKey());
        String child = path.isEmpty() ? key : path + "." + key;
        copy.set(key, substitute(field.getValue(), child, placeholders, env));
      }
      return copy;
    }
    if (node.isArray()) {
      var copy = YAML.createArrayNode();
      for (int i = 0; i < node.size(); i++) {
        copy.add(substitute(node.get(i), path + "[" + i + "]", placeholders, env));
      }
      return copy;
    }
    return node;
  }

  /**
   * The config text with every {@code ${...}} replaced by a token made of letters, digits and
   * underscores, which YAML reads as part of a plain scalar in every context, so that braces,
   * {@code :-} and {@code #} inside a variable never change how the document parses; the
   * original text is put back into each scalar after parsing.
   */
  private record Placeholders(String text, String prefix, List<String> originals) {

    private static final Pattern TOKEN = Pattern.compile("__llmbroker_var_[0-9a-f]{8}_(\\d+)__");

    static Placeholders hide(String yaml) {
      String prefix = "__llmbroker_var_" + String.format("%08x", ThreadLocalRandom.current().nextInt()) + "_";
      List<String> originals = new ArrayList<>();
      Matcher m = VARIABLE.matcher(yaml);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(out, Matcher.quoteReplacement(prefix + originals.size() + "__"));
        originals.add(m.group());
      }
      m.appendTail(out);
      return new Placeholders(out.toString(), prefix, originals);
    }

    String restore(String value) {
      if (value == null || originals.isEmpty() || !value.contains(prefix)) {
        return value;
      }
      Matcher m = TOKEN.matcher(value);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String token = m.group();
        m.appendReplacement(out, Matcher.quoteReplacement(token.startsWith(prefix)
            ? originals.get(Integer.parseInt(m.group(1))) : token));
      }
      m.appendTail(out);
      return out.toString();
    }
  }

  private static String expand(String value, String path, Function<String, String> env) {
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String resolved = env.apply(m.group(1));
      if (resolved == null) {
        resolved = m.group(2);
      }
      if (resolved == null) {
        throw ConfigException.forKey(path, "environment variable " + m.group(1) + " is not set");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(resolved));
    }
    m.appendTail(out);
    return out.toString();
  }
}
