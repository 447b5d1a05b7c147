package dev.datainsight.cli.demo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The demo end to end, shortened: real embedded PostgreSQL and Kafka, the collector, the job on
 * a local Flink runtime with the rules and the workload; the console shows the start-up lines, the
 * first incidents, at least one alert that travelled rules → alerts topic → consumer, and a
 * summary whose numbers come from the store; afterwards no PostgreSQL process of
 * the demo is left.
 */
class DemoITCase {

    @Test
    void shortDemoStartsEverything_playsIncidents_fillsTheStore_andStopsCleanly() throws Exception {
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "demo-" + UUID.randomUUID());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Console console = new Console(new PrintStream(buf, true, StandardCharsets.UTF_8));
        Duration d = Duration.ofSeconds(80);
        Demo demo = new Demo(new Demo.Settings(d, dir, false, null, null, 0, 0, Duration.ofSeconds(5)), console);
        try {
            demo.start();
            demo.runFor(d, false);
            consoleShowsWhatThePipelineWrote(demo.consoleUrl());
        } finally {
            demo.close();
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        for (String expected : List.of("starting PostgreSQL", "  store     jdbc:postgresql://127.0.0.1:", "  kafka     127.0.0.1:",
                "everything is up", "  console   http://127.0.0.1:", "workload: incident 1/6 lock contention", "workload: lock contention over, cleaned up",
                "=== DataInsight demo summary ===", "alerts by rule (fired / resolved):", "psql -h 127.0.0.1 -p ")) {
            assertTrue(out.contains(expected), "missing '" + expected + "' in:\n" + out);
        }
        assertTrue(number(out, "snapshots collected\\s+([\\d,]+)") > 10, out);
        assertTrue(number(out, "metric_rollup_1m\\s+([\\d,]+)") > 100, "closed minutes reached the store:\n" + out);
        assertTrue(number(out, "samples rolled up \\(job\\)\\s+([\\d,]+)") > 100, out);
        // The summary reads the restart count from the job's REST API: this run never restarted.
        assertTrue(number(out, "job restarts\\s+(\\d+)") == 0, out);
        assertFalse(out.contains("job restarting"), out);
        assertTrue(Pattern.compile("\\[\\d\\d:\\d\\d] ALERT FIRING   warning  [a-z_]+ +demo-pg").matcher(out).find(),
                "an incident paged through rules → alerts topic → consumer:\n" + out);
        assertTrue(Files.exists(dir.resolve("demo.log")), "--data-dir keeps the log");
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(dir.toString())
                && p.info().command().orElse("").endsWith("postgres")), "no PostgreSQL of the demo is left running");
    }

    /** The web console the demo started reads the pipeline's rows: the instance, its charts, the fired alerts. */
    private static void consoleShowsWhatThePipelineWrote(String consoleUrl) throws Exception {
        assertTrue(consoleUrl != null && consoleUrl.startsWith("http://127.0.0.1:"), String.valueOf(consoleUrl));
        String fleet = get(consoleUrl + "/fleet");
        assertTrue(fleet.contains("href=\"/instances/demo-pg\""), fleet);
        String panels = get(consoleUrl + "/api/instances/demo-pg/panels?range=1h");
        Matcher tps = Pattern.compile("\"id\":\"tps\".*?\"x\":\\[(\\d+)").matcher(panels);
        assertTrue(tps.find(), "the tps chart has data points: " + panels);
        String alerts = get(consoleUrl + "/alerts");
        Matcher fp = Pattern.compile("href=\"/alerts/([^\"]+)\">([a-z_]+)</a>").matcher(alerts);
        assertTrue(fp.find(), "the alerts page lists a fired alert: " + alerts);
        String alert = get(consoleUrl + "/alerts/" + fp.group(1));
        assertTrue(alert.contains(fp.group(2)) && alert.contains("<table id=\"events\">") && alert.contains("demo-pg"), alert);
    }

    private static String get(String url) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() == 200, url + " answered " + r.statusCode());
        return r.body();
    }

    private static long number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        if (!m.find()) {
            throw new AssertionError("no match for " + regex + " in:\n" + out);
        }
        return Long.parseLong(m.group(1).replace(",", ""));
    }
}
