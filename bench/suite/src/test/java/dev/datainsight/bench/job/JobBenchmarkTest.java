package dev.datainsight.bench.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.store.Migrations;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The job benchmark, tiny, on a real broker, a real store and a real MiniCluster: both rule
 * settings over the same records, Flink's checkpoint statistics, the headline and the targets.
 */
class JobBenchmarkTest {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor());

    @Test
    void aTinyRun_headlinesTheLikeForLikeRatio_thenTheOldReadings_andEveryTarget() throws Exception {
        String url = PG.freshDatabaseUrl("bench");
        Migrations.migrate(url, null, null);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); // as the CLI does
        }
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        JobBenchmark.Params p = new JobBenchmark.Params(20, 2, 5, 5, 12, 2, 1, "hashmap", false, false, "both",
                JobBenchmark.PRODUCTION_BATCH_ROWS, true);
        JobBenchmark.Result r = JobBenchmark.run(KAFKA.bootstrapServers(), url, p,
                new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        String log = logBytes.toString(StandardCharsets.UTF_8);
        StringWriter text = new StringWriter();
        JobBenchReport.print(r, 1, new PrintWriter(text));
        String s = text.toString();

        List<String> lines = s.lines().filter(l -> !l.isBlank()).toList();
        Matcher m = Pattern.compile("^like-for-like ratio (\\d+\\.\\d+) ").matcher(lines.get(0));
        assertTrue(m.find(), "the summary's first line is the like-for-like ratio:\n" + s);
        double ratio = Double.parseDouble(m.group(1));
        assertTrue(ratio > 0, s);
        assertEquals(String.format("%.2f", r.likeForLikeRatio(r.headline())), m.group(1));
        assertTrue(lines.get(0).contains("rules off, hashmap, batch_rows 5,000"), lines.get(0));
        // the denominator is the faster of the two like-for-like baseline runs
        assertEquals(Math.min(r.fastBeforeSeconds(), r.fastAfterSeconds()), r.likeForLikeBaselineSeconds());

        assertTrue(s.contains("old baseline (full wire codec), for continuity"), s);
        assertTrue(s.contains("(the production default; runs before issue 21 used 20,000)"), s);
        assertTrue(s.contains("job, rules off, hashmap (Flink: HashMapStateBackend)"), s);
        assertTrue(s.contains("job, rules on, hashmap (Flink: HashMapStateBackend)"), s);
        assertTrue(s.contains("rules on: every record takes the full decode path"), s);
        assertTrue(s.contains("first-sight series creation: ") && s.contains("series-id statements"), s);
        assertTrue(r.headline().seriesCalls() > 0 && r.headline().seriesServerSeconds() > 0, r.headline().toString());
        assertTrue(log.contains("store statements by server time"), log);
        assertEquals(2, r.runs().size());
        assertTrue(r.runs().stream().allMatch(run -> run.rowsWritten() > 0 && run.seconds() > 0), r.toString());

        // Flink's own checkpoint statistics of a checkpoint taken after the whole stream was read
        JobBenchmark.CheckpointStats cp = r.checkpoint();
        assertTrue(cp != null && cp.rollupStateSize() > 0 && cp.stateSize() >= cp.rollupStateSize(), String.valueOf(cp));
        assertTrue(s.contains("checkpointed state (Flink's checkpoint statistics, rules off, hashmap"), s);

        // every target has its line; at 20 instances none can be judged, and the output says why
        assertTrue(s.contains("target like-for-like >= 0.50 at 1,000 instances, rules off: NOT MEASURED"
                + " (this run has 20 instances; run --instances 1000)"), s);
        assertTrue(s.contains("target like-for-like >= 0.35 at 1,000 instances, rules on: NOT MEASURED"), s);
        assertTrue(s.contains("target like-for-like >= 0.35 at 5,000 instances, steady state"), s);
        assertTrue(s.contains("target RocksDB within 2x of heap (job time rocksdb / hashmap <= 2.0): NOT MEASURED"
                + " (run with --state-backend both)"), s);
        assertEquals(4, lines.stream().filter(l -> l.startsWith("target ")).count(), s);
    }
}
