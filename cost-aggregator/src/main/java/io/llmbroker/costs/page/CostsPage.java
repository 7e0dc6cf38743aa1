package io.llmbroker.costs.page;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The analysts' page at {@value #PATH}: HTML, script and style from this jar, and the ECharts
 * library from its webjar, so that it works with no internet access. The page itself calls the
 * query API ({@code /api/costs}) and {@code /budgets}. Thread-safe.
 */
public final class CostsPage implements HttpHandler {

  /** Where the page is mounted. */
  public static final String PATH = "/costs";

  private static final String ECHARTS = "echarts.min.js";
  private static final Map<String, String> FILES = Map.of(
      "", "text/html; charset=utf-8",
      "app.js", "text/javascript; charset=utf-8",
      "app.css", "text/css; charset=utf-8",
      ECHARTS, "text/javascript; charset=utf-8");

  private final String echartsResource = "/META-INF/resources/webjars/echarts/" + webjarVersion("echarts") + "/dist/" + ECHARTS;

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String name = exchange.getRequestURI().getPath().substring(PATH.length()).replaceFirst("^/", "");
    String type = FILES.get(name);
    if (!"GET".equals(exchange.getRequestMethod()) || type == null) {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    String resource = name.equals(ECHARTS) ? echartsResource : "/page/" + (name.isEmpty() ? "index.html" : name);
    try (InputStream in = CostsPage.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      byte[] body = in.readAllBytes();
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.getResponseHeaders().set("Cache-Control", name.equals(ECHARTS) ? "max-age=86400" : "no-cache");
      exchange.sendResponseHeaders(200, body.length);
      try (var out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String webjarVersion(String artifact) {
    String pom = "/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
    try (InputStream in = CostsPage.class.getResourceAsStream(pom)) {
      if (in == null) {
        throw new IllegalStateException("the " + artifact + " webjar is not on the classpath (" + pom + ")");
      }
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
