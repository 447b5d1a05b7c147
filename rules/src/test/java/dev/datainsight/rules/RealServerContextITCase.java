package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Snapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The alert context on a real server: the real collector reads a PostgreSQL where one statement
 * spills sorts to temporary files; temp_spill must fire and name that statement, with its
 * normalised text from the statements stream, and the instance's fleet labels must ride along.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RealServerContextITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor(),
            Map.of("max_connections", "70"));

    // for: 6s lets the statements snapshots (every 2 s here) show two samples of the spill before it fires.
    private static final String RULES = """
            rules:
              temp_spill: {warning: 1MB, window: 10s, statements_window: 30s, for: 6s, resolve_for: 3s}
            """;

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();

    @Test
    void tempSpill_namesTheSpillingStatementWithItsText() throws Exception {
        String db = PG.freshDatabase("context");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE spill (id int, pad text)");
            st.execute("INSERT INTO spill SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 100000) g");
        }
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-context").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .labels(Map.of("team", "billing", "env", "test"))
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                .build();
        try (RulesHarness h = new RulesHarness(RulesConfig.parse(RULES, "context"));
                Collector collector = new Collector(fleet, inbox::add);
                Connection spiller = DriverManager.getConnection(url);
                Statement st = spiller.createStatement()) {
            collector.start();
            st.execute("SET work_mem = '64kB'");
            long deadline = System.currentTimeMillis() + 120_000;
            AlertEvent fired = null;
            while (fired == null && System.currentTimeMillis() < deadline) {
                st.executeQuery("SELECT id, pad FROM spill ORDER BY pad DESC").close();
                drain(h);
                fired = h.events.stream().filter(a -> a.getRule().equals("temp_spill")
                        && db.equals(a.getLabels().get("datname"))).findFirst().orElse(null);
            }
            if (fired == null) {
                fail("temp_spill did not fire; events: " + h.events);
            }
            assertTrue(fired.getSummary().contains("most by `SELECT id, pad FROM spill ORDER BY pad DESC`"),
                    fired.getSummary());
            AlertContextItem top = fired.getContext().get(0);
            assertEquals("statement", top.getKind());
            assertEquals("SELECT id, pad FROM spill ORDER BY pad DESC", top.get("text"));
            assertTrue(top.get("temp_written").matches("\\d+ blocks \\(.+\\)"), top.toString());
            assertEquals("billing", fired.getInstanceLabels().get("team"), "the fleet labels are on the event");
            assertTrue(!fired.getLabels().containsKey("team"), "and not in the alert's own labels");
        }
    }

    private void drain(RulesHarness h) throws Exception {
        List<Snapshot> batch = new ArrayList<>();
        for (Snapshot s; (s = inbox.poll()) != null; ) {
            batch.add(s);
        }
        batch.sort(Comparator.comparingLong(Snapshot::getCollectedAt));
        for (Snapshot s : batch) {
            h.push(s);
        }
    }
}
