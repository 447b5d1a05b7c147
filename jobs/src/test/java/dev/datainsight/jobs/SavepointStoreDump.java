package dev.datainsight.jobs;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The store's content as the job left it at the savepoint, one JSON object per row and table
 * ({@code to_jsonb} of the row, so every column is kept, ids included), and the way back in
 * ({@code jsonb_populate_record}). The restore test starts from exactly the store the old job
 * wrote, not from a re-creation of it.
 */
final class SavepointStoreDump {
    /** Every table the job writes, parents first (series before the rollups that refer to it). */
    static final List<String> TABLES = List.of("instance", "series", "metric_rollup_1m", "metric_rollup_1h",
            "metric_rollup_1d", "statement_rollup_1h", "statement_text", "alert_event", "insight");

    /** gzip: the minute rollups alone are ~400 KB of JSON, ~40 KB compressed. */
    static final String FILE_SUFFIX = ".jsonl.gz";

    private SavepointStoreDump() {}

    private static List<String> readLines(Path f) throws Exception {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)),
                StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }

    /** Writes {@code dir/<table>.jsonl.gz} for every table, rows in a stable order. */
    static int dump(String url, Path dir) throws Exception {
        Files.createDirectories(dir);
        int total = 0;
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("SET TIME ZONE 'UTC'");
            for (String table : TABLES) {
                List<String> lines = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("SELECT to_jsonb(t)::text AS j FROM " + table + " t ORDER BY 1")) {
                    while (rs.next()) {
                        lines.add(rs.getString(1));
                    }
                }
                try (Writer w = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(
                        dir.resolve(table + FILE_SUFFIX))), StandardCharsets.UTF_8)) {
                    for (String line : lines) {
                        w.write(line);
                        w.write('\n');
                    }
                }
                total += lines.size();
            }
        }
        return total;
    }

    /** Loads the dump into a migrated, empty store; the series id sequence continues after the ids loaded. */
    static int load(String url, Path dir) throws Exception {
        int total = 0;
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            for (String table : TABLES) {
                Path f = dir.resolve(table + FILE_SUFFIX);
                if (!Files.exists(f)) {
                    throw new IllegalStateException("the dump has no " + f.getFileName());
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
                        + " OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_record(NULL::" + table + ", ?::jsonb)")) {
                    for (String line : readLines(f)) {
                        if (line.isBlank()) {
                            continue;
                        }
                        ps.setString(1, line);
                        ps.addBatch();
                        total++;
                    }
                    ps.executeBatch();
                }
            }
            try (Statement st = c.createStatement()) {
                st.execute("SELECT setval(pg_get_serial_sequence('series', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM series), false)");
            }
            c.commit();
        }
        return total;
    }
}
