package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Measures every {@code inspect} subcommand on a database of 2,000 tables with 3 indexes each
 * (target: an answer in under 2 s). Prints the wall time of each run (connect, queries, printing;
 * {@code queries} without its interval) and writes it to {@code target/inspect-scale.txt}. The
 * numbers are reported, not asserted; the answers are.
 */
class InspectScaleTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    static final int TABLES = 2000;
    static final int RUNS = 3;

    /** Wall time of {@code java ... Main inspect ...} in a new JVM, as a person runs it (JVM start included). */
    private static long freshJvm(String url, String[] cmd) throws Exception {
        List<String> args = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.datainsight.cli.Main"));
        if (url != null) {
            args.addAll(List.of("inspect", "--target", url));
        }
        args.addAll(Arrays.asList(cmd));
        long s = System.nanoTime();
        Process p = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor(), String.join(" ", args));
        return (System.nanoTime() - s) / 1_000_000 - (cmd[0].equals("queries") ? 1000 : 0);
    }

    @Test
    void everySubcommandOn2000TablesWith3IndexesEach() throws Exception {
        String db = PG.freshDatabase("scale");
        String url = PG.server().jdbcUrl(db);
        long t0 = System.nanoTime();
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            for (int from = 1; from <= TABLES; from += 200) {
                st.execute("DO $$ BEGIN FOR i IN " + from + ".." + (from + 199) + " LOOP"
                        + " EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, a int, b int)', i);"
                        + " EXECUTE format('CREATE INDEX t_%s_a ON t_%s (a)', i, i);"
                        + " EXECUTE format('CREATE INDEX t_%s_ab ON t_%s (a, b)', i, i);"
                        + " EXECUTE format('INSERT INTO t_%s SELECT g, g, g FROM generate_series(1, 20) g', i);"
                        + " END LOOP; END $$");
            }
            st.execute("SELECT pg_stat_force_next_flush()");
            assertEquals(TABLES * 3L, InspectRun.scalar(c, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                    + " WHERE c.relname LIKE 't\\_%'"));
        }
        System.out.printf(Locale.ROOT, "created %d tables with 3 indexes each in %.1f s%n", TABLES, (System.nanoTime() - t0) / 1e9);

        List<String> report = new ArrayList<>();
        report.add(String.format(Locale.ROOT, "inspect on PostgreSQL %d, %d tables x 3 indexes; wall ms per run (%d runs)",
                PG.major(), TABLES, RUNS));
        String[][] commands = {{"locks"}, {"activity"}, {"connections"}, {"indexes"}, {"tables"}, {"queries", "--interval", "1"},
            {"indexes", "--json"}, {"tables", "--json"}};
        for (String[] cmd : commands) {
            long[] ms = new long[RUNS];
            InspectRun last = null;
            for (int i = 0; i < RUNS; i++) {
                List<String> args = new ArrayList<>(List.of("inspect", "--target", url));
                args.addAll(Arrays.asList(cmd));
                long s = System.nanoTime();
                last = InspectRun.run(args.toArray(String[]::new));
                ms[i] = (System.nanoTime() - s) / 1_000_000 - (cmd[0].equals("queries") ? 1000 : 0);
                assertEquals(0, last.rc(), last.toString());
            }
            String name = String.join(" ", cmd);
            if (name.equals("indexes")) {
                assertTrue(last.out().startsWith("4000 unused indexes waste "), last.out().lines().findFirst().orElse(""));
                assertTrue(last.out().contains("; 2000 duplicate indexes waste "), last.out().lines().findFirst().orElse(""));
            }
            if (name.equals("tables")) {
                assertTrue(last.out().contains(": 2000 tables, "), last.out());
            }
            long[] sorted = ms.clone();
            Arrays.sort(sorted);
            long cold = freshJvm(url, cmd);
            report.add(String.format(Locale.ROOT, "%-22s in-process: first %5d  median %5d  max %5d;  fresh JVM %5d  (%d output lines)",
                    name, ms[0], sorted[RUNS / 2], sorted[RUNS - 1], cold, last.out().lines().count()));
        }
        report.add(String.format(Locale.ROOT, "%-22s fresh JVM %5d  (the JVM and picocli alone, no inspect)", "--version",
                freshJvm(null, new String[] {"--version"})));
        report.add(String.format(Locale.ROOT, "load average at the end: %.1f on %d cores",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors()));
        report.forEach(System.out::println);
        Files.write(Path.of("target", "inspect-scale.txt"), report);
    }
}
