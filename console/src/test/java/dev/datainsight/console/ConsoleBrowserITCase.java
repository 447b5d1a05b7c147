package dev.datainsight.console;

import static dev.datainsight.console.ConsoleFixture.XSS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's chromium driven by chromedriver (both must be installed:
 * {@code apt-get install -y chromium chromium-driver}; .ci/run installs them). Without them this
 * test fails, it never skips. Screenshots go to {@code target/screenshots/}.
 */
class ConsoleBrowserITCase {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Path CHROMIUM = Paths.get(System.getProperty("datainsight.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Paths.get(System.getProperty("datainsight.chromedriver", "/usr/bin/chromedriver"));
    private static final Path SHOTS = Paths.get("target", "screenshots");

    private static ConsoleFixture store;
    private static ConsoleServer console;
    private static ChromeDriver driver;

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "browser tests need Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver"
                        + " (looked for " + CHROMIUM + " and " + CHROMEDRIVER + ")");
        store = ConsoleFixture.create(PG, "console_browser");
        console = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, store.readerUrl, null, null, null));
        Path profile = Paths.get(System.getProperty("java.io.tmpdir"), "chromium-" + UUID.randomUUID());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (console != null) {
            console.close();
        }
    }

    @Test
    void fleetListsTheInstances_labelsRenderAsText_andTheFilterChangesTheList() throws Exception {
        driver.get(console.url() + "/fleet");
        List<WebElement> links = driver.findElements(By.cssSelector("#fleet tbody tr td:first-child a"));
        assertEquals(List.of("db-xss", "db-quiet"), links.stream().map(WebElement::getText).toList(), "firing first");
        assertTrue(driver.findElements(By.cssSelector("#fleet a.label")).stream().anyMatch(a -> a.getText().equals("app=" + XSS)),
                "the label is shown as its literal text");
        assertNoInjectedMarkup();
        shot("fleet");

        WebElement input = driver.findElement(By.name("label"));
        input.clear();
        input.sendKeys("env=staging");
        driver.findElement(By.cssSelector("form.filters button")).click();
        wait(d -> d.getCurrentUrl().contains("label="));
        assertEquals(List.of("db-quiet"), driver.findElements(By.cssSelector("#fleet tbody tr td:first-child a")).stream()
                .map(WebElement::getText).toList());
        assertEquals("1 instance", driver.findElement(By.id("fleet-count")).getText());
        shot("fleet-filtered");
    }

    @Test
    void instancePageDrawsChartsWithDataPoints() throws Exception {
        driver.get(console.url() + "/instances/db-xss?range=1h");
        wait(d -> "true".equals(d.findElement(By.id("panels")).getAttribute("data-loaded")));
        WebElement tps = driver.findElement(By.id("panel-tps"));
        assertEquals("30", tps.getAttribute("data-points"));
        assertTrue(tps.getAttribute("class").contains("drawn"));
        Long painted = (Long) ((JavascriptExecutor) driver).executeScript(
                "var c = document.querySelector('#panel-tps canvas'); var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + " var n = 0; for (var i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;");
        assertTrue(painted > 500, "the tps chart has painted pixels: " + painted);
        assertEquals("1", tps.getAttribute("data-firing-bands"), "the firing period of fp-conn is shaded");
        assertTrue(driver.findElement(By.id("panel-replication")).getText().contains(XSS), "legend shows the application_name as text");
        assertTrue(driver.findElement(By.id("panel-wal")).findElement(By.className("nodata")).isDisplayed(), "no WAL data");
        assertTrue(driver.findElement(By.id("statements")).getText().contains("SELECT '" + XSS + "' FROM t WHERE id = $1"));
        assertNoInjectedMarkup();
        shot("instance");
    }

    @Test
    void chartsRefreshThemselves_whenNewRollupsArrive() throws Exception {
        driver.get(console.url() + "/instances/db-xss?range=1h&refresh=5");
        wait(d -> "true".equals(d.findElement(By.id("panels")).getAttribute("data-loaded")));
        WebElement temp = driver.findElement(By.id("panel-temp"));
        assertEquals("0", temp.getAttribute("data-points"), "no temp bytes stored yet");
        store.exec("INSERT INTO series (instance, metric, labels) VALUES ('db-xss', 'pg_stat_database.temp_bytes', '{\"datname\": \"app\"}')",
                "INSERT INTO metric_rollup_1m (series_id, bucket, count, min, max, sum, last)"
                        + " SELECT s.id, date_trunc('minute', now()) - m * interval '1 minute', 6, 4096, 4096, 6 * 4096, 4096"
                        + " FROM series s CROSS JOIN generate_series(0, 9) m WHERE s.metric = 'pg_stat_database.temp_bytes'");
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> "10".equals(d.findElement(By.id("panel-temp")).getAttribute("data-points")));
        assertTrue(driver.findElement(By.id("panel-temp")).getAttribute("class").contains("drawn"));
        assertFalse(driver.findElement(By.id("panel-temp")).findElement(By.className("nodata")).isDisplayed());
        shot("instance-refreshed");
    }

    @Test
    void alertPageShowsTheAlert_andTheAlertFiltersChangeTheList() throws Exception {
        driver.get(console.url() + "/alerts");
        assertTrue(driver.findElement(By.id("history")).getText().contains("replication_lag"));
        new Select(driver.findElement(By.name("severity"))).selectByValue("critical"); // submits on change
        wait(d -> d.getCurrentUrl().contains("severity=critical"));
        String history = driver.findElement(By.id("history")).getText();
        assertTrue(history.contains("connections_saturation") && !history.contains("replication_lag"), history);
        shot("alerts-critical");

        driver.findElement(By.linkText("connections_saturation")).click();
        wait(d -> d.getCurrentUrl().contains("/alerts/fp-conn"));
        assertEquals("connections at 97% " + XSS, driver.findElement(By.id("summary")).getText());
        assertEquals("https://runbooks.example/connections", driver.findElement(By.cssSelector("#runbook a")).getAttribute("href"));
        assertEquals(2, driver.findElements(By.cssSelector("#events tbody tr")).size());
        assertNoInjectedMarkup();
        shot("alert");
    }

    @Test
    void pagesFitAPhoneScreenWithoutHorizontalScrolling() throws Exception {
        Dimension before = driver.manage().window().getSize();
        try {
            driver.manage().window().setSize(new Dimension(390, 844));
            for (String path : List.of("/fleet", "/instances/db-xss", "/alerts", "/alerts/fp-conn", "/queries", "/instances/db-xss/queries",
                    "/queries/db-xss/4242", "/trends", "/instances/db-xss/trends", "/insights")) {
                driver.get(console.url() + path);
                if (path.startsWith("/instances/db-xss") && !path.endsWith("queries") && !path.endsWith("trends") || path.startsWith("/queries/")) {
                    wait(d -> "true".equals(d.findElement(By.id("panels")).getAttribute("data-loaded")));
                }
                Object overflow = ((JavascriptExecutor) driver).executeScript(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
                assertEquals(0L, ((Number) overflow).longValue(), path + " scrolls sideways on a phone");
                shot("phone" + path.replace('/', '-'));
                if (!driver.findElements(By.id("panels")).isEmpty()) {
                    WebElement canvas = driver.findElement(By.cssSelector("#panels canvas"));
                    assertTrue(canvas.getSize().getWidth() <= 390, path + ": the chart follows the screen width");
                }
            }
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    @Test
    void queriesPageShowsTheStatements_theXssQueryTextAsText_andTheQueryPageDrawsItsHistory() throws Exception {
        driver.get(console.url() + "/fleet");
        driver.findElement(By.cssSelector("header nav a[href='/queries']")).click();
        wait(d -> d.getCurrentUrl().endsWith("/queries"));
        WebElement table = driver.findElement(By.id("queries"));
        List<String> texts = table.findElements(By.cssSelector("tbody tr td:first-child code")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("SELECT '" + XSS + "' FROM t WHERE id = $1", "SELECT pg_sleep($1) /* nightly batch */"), texts,
                "by total time; the stored query text shown as its literal text");
        assertTrue(table.getText().contains("spiky") && table.getText().contains("steady"));
        assertNoInjectedMarkup();
        shot("queries");

        new Select(driver.findElement(By.name("instance"))).selectByValue("db-quiet"); // submits on change
        wait(d -> d.getCurrentUrl().contains("instance=db-quiet"));
        assertEquals(1, driver.findElements(By.cssSelector("#queries tbody tr")).size());
        shot("queries-db-quiet");

        driver.get(console.url() + "/instances/db-xss/queries?range=7d");
        driver.findElement(By.cssSelector("#queries a.query")).click();
        wait(d -> d.getCurrentUrl().contains("/queries/db-xss/4242"));
        wait(d -> "true".equals(d.findElement(By.id("panels")).getAttribute("data-loaded")));
        assertEquals("SELECT '" + XSS + "' FROM t WHERE id = $1", driver.findElement(By.id("query-text")).getText());
        WebElement mean = driver.findElement(By.id("panel-q-mean"));
        assertEquals("169", mean.getAttribute("data-points"), "7 days of hourly rows and the current hour");
        assertTrue(painted("#panel-q-mean canvas") > 500, "the history chart is painted");
        assertTrue(driver.findElements(By.cssSelector("#plans tbody tr")).isEmpty(), "no plan of this statement: an empty plans panel");
        assertNoInjectedMarkup();
        shot("query");
    }

    @Test
    void trendsPageShowsWhatChangedMost() throws Exception {
        driver.get(console.url() + "/fleet");
        driver.findElement(By.cssSelector("#fleet-links a[href='/trends']")).click();
        wait(d -> d.getCurrentUrl().endsWith("/trends"));
        String sentences = driver.findElement(By.id("trend-sentences")).getText();
        assertTrue(sentences.contains("db-xss: cache hit ratio 95.0% → 75.0% (-21%) since "), sentences);
        assertTrue(sentences.contains("db-xss: mean time of query 4242 10 ms → 30 ms (×3.0) since "), sentences);
        assertTrue(driver.findElement(By.id("trends")).getText().contains("cache hit ratio"));
        assertNoInjectedMarkup();
        shot("trends");

        driver.get(console.url() + "/instances/db-xss");
        driver.findElement(By.cssSelector("#instance-links a[href='/instances/db-xss/trends']")).click();
        wait(d -> d.getCurrentUrl().endsWith("/instances/db-xss/trends"));
        assertTrue(driver.findElement(By.id("trend-sentences")).getText().startsWith("mean time of query 4242 10 ms → 30 ms"));
        shot("instance-trends");
    }

    @Test
    void insightsPageShowsTheFindingsWithBytesWasted() throws Exception {
        driver.get(console.url() + "/fleet");
        driver.findElement(By.cssSelector("header nav a[href='/insights']")).click();
        wait(d -> d.getCurrentUrl().endsWith("/insights"));
        assertEquals("3 findings on 2 instances; 13.0 GiB wasted", driver.findElement(By.id("insights-total")).getText());
        String page = driver.findElement(By.tagName("main")).getText();
        assertTrue(page.contains("public.orders_old_idx") && page.contains("12.0 GiB wasted"), page);
        assertTrue(page.contains("duplicates public.orders_user_idx " + XSS), "the summary as its literal text");
        assertTrue(page.contains("Sequence public.orders_id_seq has used 91% of its range"));
        assertNoInjectedMarkup();
        shot("insights");
        new Select(driver.findElement(By.name("kind"))).selectByValue("sequence_exhaustion");
        wait(d -> d.getCurrentUrl().contains("kind=sequence_exhaustion"));
        assertEquals("1 finding on 1 instance", driver.findElement(By.id("insights-total")).getText());
    }

    private static long painted(String canvasSelector) {
        return (Long) ((JavascriptExecutor) driver).executeScript(
                "var c = document.querySelector(arguments[0]); var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + " var n = 0; for (var i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;", canvasSelector);
    }

    private static void assertNoInjectedMarkup() {
        assertTrue(driver.findElements(By.cssSelector("img")).isEmpty(), "no <img> was injected");
        assertThrows(NoAlertPresentException.class, () -> driver.switchTo().alert(), "no script ran");
        assertFalse(driver.getPageSource().contains(XSS), "page source holds the string escaped only");
    }

    private static void wait(java.util.function.Function<org.openqa.selenium.WebDriver, Boolean> condition) {
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(condition::apply);
    }

    private static void shot(String name) throws Exception {
        File f = driver.getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
