package io.llmbroker.costs.page;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmbroker.avro.ResponseStatus;
import io.llmbroker.avro.Budget;
import io.llmbroker.avro.BudgetMode;
import io.llmbroker.avro.BudgetPeriod;
import io.llmbroker.avro.BudgetScope;
import io.llmbroker.avro.UsageEvent;
import io.llmbroker.costs.CostAggregatorService;
import io.llmbroker.costs.support.Aggregators;
import io.llmbroker.costs.support.Usage;
import io.llmbroker.schemas.Topics;
import io.llmbroker.schemas.serde.AvroSerdes;
import io.llmbroker.testsupport.KafkaFixture;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The costs page in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) over
 * the real service: it shows the API's totals, a filter changes the chart and the URL, its CSV is
 * the API's, and an error is shown instead of an empty chart. Keeps a screenshot in {@code docs/}.
 */
class CostsPageBrowserTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Instant DAY = Instant.parse("2026-11-23T00:00:00Z");
  private static final String VIEW = "granularity=hour&from=2026-11-23&to=2026-11-24";
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient http = HttpClient.newHttpClient();

  @TempDir static Path stateDir;

  private static CostAggregatorService service;
  private static ChromeDriver browser;
  private static String base;

  @BeforeAll
  static void startServiceBrowserAndProduceUsage() throws Exception {
    assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
        .as("the page test needs headless Chromium: apt-get install chromium chromium-driver (%s, %s)", CHROMIUM, CHROMEDRIVER)
        .isTrue();
    // One partition: the events span 12 hours, more than the grace, and must reach the windows in order.
    Topics topics = KafkaFixture.isolatedTopics(1);
    service = CostAggregatorService.start(Aggregators.config(topics, 1, stateDir, ""), Map.of());
    base = "http://127.0.0.1:" + service.port();
    Properties props = KafkaFixture.get().clientProperties();
    try (var budgets = new KafkaProducer<>(props, new StringSerializer(), AvroSerdes.singleObject().serde(Budget.class).serializer())) {
      budgets.send(new ProducerRecord<>(topics.budgets().name(), "search-monthly", Budget.newBuilder().setId("search-monthly")
          .setScope(BudgetScope.newBuilder().setTeam("search").build()).setPeriod(BudgetPeriod.MONTH)
          .setMode(BudgetMode.HARD).setLimitMicros(25_000_000).build())).get();
    }
    try (var usage = new KafkaProducer<>(props, new StringSerializer(), AvroSerdes.singleObject().serde(UsageEvent.class).serializer())) {
      List<String> teams = List.of("search", "ads", "support");
      List<String> models = List.of("gpt-4o", "claude-sonnet");
      for (int i = 0; i < 60; i++) {
        UsageEvent e = UsageEvent.newBuilder(Usage.event("r" + i, teams.get(i % 3), models.get(i % 2), 1_000L * (1 + i % 5),
                DAY.plusSeconds(720L * i)))
            .setCustomer("customer-" + (i % 4)).setLatencyMs(200 + i)
            .setStatus(i % 10 == 0 ? ResponseStatus.ERROR : ResponseStatus.OK).build();
        usage.send(new ProducerRecord<>(topics.usage().name(), e.getRequestId(), e));
      }
      usage.flush();
    }
    Awaitility.await("all usage rolled up").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> api(VIEW).path("totals").path("requests").asLong() == 60);
    Awaitility.await("the budget known").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> fetch(base + "/budgets").body().contains("search-monthly"));

    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
    ChromeDriverService driver = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(driver, options);
    browser.manage().window().setSize(new Dimension(1400, 1300));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (service != null) {
      service.close();
    }
  }

  @Test
  void pageShowsTheApiTotalsAndAFilterChangesTheChartAndTheUrl() throws Exception {
    open("/costs?" + VIEW + "&stack=team");

    assertThat(text("total-cost")).isEqualTo(api(VIEW).path("totals").path("cost_usd").asText());
    assertThat(seriesNames()).containsExactlyInAnyOrder("search", "ads", "support");
    assertThat(browser.findElement(By.id("budgets")).getText()).contains("search-monthly", "25.00", "HARD");
    assertThat(browser.findElement(By.id("by-model")).getText()).contains("openai/gpt-4o").contains("%");
    screenshot();

    browser.findElement(By.id("filter-team")).sendKeys("ads");
    int loads = loads();
    browser.findElement(By.id("apply")).click();
    awaitLoadsAfter(loads);

    assertThat(browser.getCurrentUrl()).contains("team=ads");
    assertThat(seriesNames()).containsExactly("ads");
    assertThat(text("total-cost")).isEqualTo(api(VIEW + "&team=ads").path("totals").path("cost_usd").asText());
  }

  @Test
  void csvDownloadIsWhatThePageShows() throws Exception {
    open("/costs?" + VIEW + "&stack=model&customer=customer-1");

    String href = browser.findElement(By.id("csv-link")).getAttribute("href");
    String csv = fetch(href).body();

    assertThat(csv).isEqualTo(fetch(base + "/api/costs?" + VIEW + "&customer=customer-1&group-by=model&format=csv").body());
    long csvCost = csv.lines().skip(1).mapToLong(line -> Long.parseLong(line.split(",")[10])).sum();
    assertThat(new java.math.BigDecimal(text("total-cost")).movePointRight(6).longValueExact()).isEqualTo(csvCost);
  }

  @Test
  void aBadParameterIsShownAsAnErrorInsteadOfAnEmptyChart() {
    open("/costs?granularity=hour&from=2026-01-01&to=2026-11-24");

    assertThat(browser.findElement(By.id("error")).isDisplayed()).isTrue();
    assertThat(text("error")).contains("'from'").contains("35 days");
    assertThat(text("total-cost")).isEqualTo("–");
  }

  private static void open(String path) {
    browser.get(base + path);
    Awaitility.await("the page loaded").atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> loads() >= 1);
  }

  private static int loads() {
    Object n = ((JavascriptExecutor) browser).executeScript("return window.llmCosts ? window.llmCosts.loads : 0");
    return ((Number) n).intValue();
  }

  private static void awaitLoadsAfter(int before) {
    Awaitility.await("the page reloaded its figures").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
        .until(() -> loads() > before);
  }

  @SuppressWarnings("unchecked")
  private static List<String> seriesNames() {
    return (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return window.llmCosts.chart.getOption().series.map(s => s.name)");
  }

  private static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  private static void screenshot() throws Exception {
    Path docs = Path.of(System.getProperty("user.dir")).resolveSibling("docs");
    File png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(png.toPath(), docs.resolve("costs-page.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static JsonNode api(String query) throws Exception {
    return JSON.readTree(fetch(base + "/api/costs?" + query).body());
  }

  private static HttpResponse<String> fetch(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
