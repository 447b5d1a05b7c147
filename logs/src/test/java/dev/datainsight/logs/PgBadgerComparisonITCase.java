package dev.datainsight.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.logs.LogEvent.LockWait.Phase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pgBadger (the Debian package, /usr/bin/pgbadger) and these readers on the same real server
 * log: the counts of every category both parse must be equal. The table is printed.
 */
class PgBadgerComparisonITCase {
    static final String PGBADGER = "/usr/bin/pgbadger";

    @ParameterizedTest(name = "PostgreSQL {0} {1}")
    @MethodSource("dev.datainsight.logs.RealServerLogsITCase#serversAndFormats")
    void countsEqualPgBadgers(int major, LogFormat format) throws Exception {
        assertTrue(Files.isExecutable(Path.of(PGBADGER)), PGBADGER + " is missing: apt-get install pgbadger (.ci/run does)");
        ServerLogs.Induced in = ServerLogs.of(major);
        Path log = in.file(format);
        JsonNode pgb = runPgBadger(log, format);

        List<LogEvent> events = LogFiles.events(LogFiles.readWhole(log, format, major, LogOptions.defaults()));
        Map<String, long[]> rows = new LinkedHashMap<>();

        rows.put("errors (ERROR+FATAL+PANIC)", pair(
                sumLevels(pgb.path("logs_type"), "ERROR", "FATAL", "PANIC"),
                LogFiles.of(events, LogEvent.Error.class).size()));
        rows.put("deadlocks", pair(errorInfo(pgb, "deadlock detected"), LogFiles.of(events, LogEvent.Deadlock.class).size()));
        rows.put("lock waits (still waiting)", pair(errorInfo(pgb, "still waiting for"),
                LogFiles.of(events, LogEvent.LockWait.class).stream().filter(w -> w.phase() == Phase.STILL_WAITING).count()));
        rows.put("locks acquired after a wait", pair(sumCounts(pgb.path("lock_info"), true),
                LogFiles.of(events, LogEvent.LockWait.class).stream().filter(w -> w.phase() == Phase.ACQUIRED).count()));
        rows.put("authentication failures", pair(errorInfo(pgb, "authentication failed"),
                LogFiles.of(events, LogEvent.AuthenticationFailure.class).size()));
        rows.put("temp files", pair(sumCounts(pgb.path("tempfile_info"), false), LogFiles.of(events, LogEvent.TempFile.class).size()));
        rows.put("temp file bytes", pair(sumField(pgb.path("tempfile_info"), "size"),
                LogFiles.of(events, LogEvent.TempFile.class).stream().mapToLong(LogEvent.TempFile::sizeBytes).sum()));
        long starting = 0;
        for (Iterator<JsonNode> it = pgb.path("checkpoint_info").path("starting").elements(); it.hasNext();) {
            starting += it.next().asLong();
        }
        rows.put("checkpoints started", pair(starting, LogFiles.of(events, LogEvent.CheckpointStarting.class).size()));
        if (major < 18) {
            // pgBadger 12 reads "wrote N buffers (p%);" only: 18's "wrote N buffers (p%), wrote M SLRU buffers;" gives 0
            rows.put("checkpoint buffers written", pair(pgb.path("checkpoint_info").path("wbuffer").asLong(),
                    LogFiles.of(events, LogEvent.CheckpointComplete.class).stream().mapToLong(LogEvent.CheckpointComplete::buffersWritten).sum()));
        }
        // pgBadger 12 matches "(N seconds apart)" only, so it misses "(1 second apart)"
        rows.put("checkpoint warnings (N != 1 s)", pair(pgb.path("checkpoint_info").path("warning").asLong(),
                LogFiles.of(events, LogEvent.CheckpointTooFrequent.class).stream().filter(w -> w.secondsApart() != 1).count()));
        rows.put("autovacuums", pair(sumCounts(pgb.path("autovacuum_info"), false),
                LogFiles.of(events, LogEvent.Autovacuum.class).stream().filter(a -> !a.analyze()).count()));
        rows.put("autoanalyzes", pair(sumCounts(pgb.path("autoanalyze_info"), false),
                LogFiles.of(events, LogEvent.Autovacuum.class).stream().filter(LogEvent.Autovacuum::analyze).count()));
        rows.put("connections authorized", pair(sumCounts(pgb.path("connection_info"), false),
                LogFiles.of(events, LogEvent.Connection.class).size()));
        long slowPgb = 0;
        for (Iterator<JsonNode> it = pgb.path("top_slowest").elements(); it.hasNext();) {
            for (JsonNode q : it.next()) {
                if (q.get(0).asDouble() >= 100) {
                    slowPgb++;
                }
            }
        }
        rows.put("statements >= 100 ms", pair(slowPgb,
                LogFiles.of(events, LogEvent.SlowStatement.class).stream().filter(s -> s.durationMs() >= 100).count()));

        StringBuilder table = new StringBuilder();
        table.append(String.format("%npgBadger vs DataInsight, PostgreSQL %d, %s (%s)%n", major, format, log.getFileName()));
        table.append(String.format("| %-30s | %10s | %11s | %-5s |%n", "category", "pgBadger", "DataInsight", "equal"));
        table.append(String.format("|%s|%s|%s|%s|%n", "-".repeat(32), "-".repeat(12), "-".repeat(13), "-".repeat(7)));
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, long[]> r : rows.entrySet()) {
            boolean eq = r.getValue()[0] == r.getValue()[1];
            table.append(String.format("| %-30s | %10d | %11d | %-5s |%n", r.getKey(), r.getValue()[0], r.getValue()[1], eq ? "yes" : "NO"));
            if (!eq) {
                diffs.add(r.getKey());
            }
        }
        System.out.print(table);
        assertEquals(List.of(), diffs, table::toString);
        // the workload produced each category: a comparison of zeros would prove nothing
        for (String must : List.of("deadlocks", "lock waits (still waiting)", "authentication failures", "temp files",
                "checkpoints started", "autovacuums", "autoanalyzes", "connections authorized", "statements >= 100 ms")) {
            assertTrue(rows.get(must)[1] > 0, must + " is 0");
        }
    }

    private static long[] pair(long pgbadger, long ours) {
        return new long[] {pgbadger, ours};
    }

    private static JsonNode runPgBadger(Path log, LogFormat format) throws IOException, InterruptedException {
        Path out = log.resolveSibling(log.getFileName() + ".pgbadger.json");
        String f = switch (format) {
            case STDERR -> "stderr";
            case CSVLOG -> "csv";
            case JSONLOG -> "jsonlog";
        };
        List<String> cmd = new ArrayList<>(List.of(PGBADGER, "-q", "-f", f));
        if (format == LogFormat.STDERR) {
            cmd.addAll(List.of("--prefix", ServerLogs.PREFIX));
        }
        cmd.addAll(List.of("-x", "json", "-o", out.toString(), log.toString()));
        Path err = log.resolveSibling(log.getFileName() + ".pgbadger.err");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "pgbadger did not finish");
        assertEquals(0, p.exitValue(), () -> "pgbadger failed: " + read(err));
        return new ObjectMapper().readTree(out.toFile());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Sum over databases of logs_type[db][level]. */
    private static long sumLevels(JsonNode logsType, String... levels) {
        long n = 0;
        for (Iterator<JsonNode> it = logsType.elements(); it.hasNext();) {
            JsonNode db = it.next();
            for (String l : levels) {
                n += db.path(l).asLong();
            }
        }
        return n;
    }

    /** Sum of the counts of error_info's normalised messages containing {@code text}. */
    private static long errorInfo(JsonNode pgb, String text) {
        long n = 0;
        for (Iterator<JsonNode> dbs = pgb.path("error_info").elements(); dbs.hasNext();) {
            for (Iterator<Map.Entry<String, JsonNode>> it = dbs.next().fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().contains(text)) {
                    n += e.getValue().path("count").asLong();
                }
            }
        }
        return n;
    }

    /** Sum over databases of [db].count (lock_info: [db][mode].count when {@code nested}). */
    private static long sumCounts(JsonNode node, boolean nested) {
        long n = 0;
        for (Iterator<JsonNode> dbs = node.elements(); dbs.hasNext();) {
            JsonNode db = dbs.next();
            if (nested) {
                for (Iterator<JsonNode> modes = db.elements(); modes.hasNext();) {
                    n += modes.next().path("count").asLong();
                }
            } else {
                n += db.path("count").asLong();
            }
        }
        return n;
    }

    private static long sumField(JsonNode node, String field) {
        long n = 0;
        for (Iterator<JsonNode> dbs = node.elements(); dbs.hasNext();) {
            n += dbs.next().path(field).asLong();
        }
        return n;
    }
}
