package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code inspect tables}: dead tuples against the trigger, with per-table reloptions. */
class InspectTablesTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Test
    void deadTuplesAboveTheTrigger_andAReloptionThatRaisesIt() throws Exception {
        String db = PG.freshDatabase("tables");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            // autovacuum off for this table, so the dead tuples stay; trigger 50 + 0.2 * 10,000 = 2,050.
            st.execute("CREATE TABLE churn (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)");
            // The same churn, but the table's own threshold puts the trigger at 100,000 + 0.2 * 10,000.
            st.execute("CREATE TABLE tuned (id int PRIMARY KEY, v text) WITH (autovacuum_vacuum_threshold = 100000,"
                    + " autovacuum_analyze_threshold = 100000, autovacuum_vacuum_insert_threshold = -1)");
            for (String t : new String[] {"churn", "tuned"}) {
                st.execute("INSERT INTO " + t + " SELECT i, 'x' FROM generate_series(1, 10000) i");
                st.execute("ANALYZE " + t);
                st.execute("DELETE FROM " + t + " WHERE id <= 6000");
            }
            st.execute("SELECT pg_stat_force_next_flush()");
        }
        try (Connection c = PG.server().connect(db)) {
            InspectRun.await("dead tuples counted", () -> {
                try {
                    return InspectRun.scalar(c, "SELECT min(n_dead_tup) FROM pg_stat_user_tables") == 6000;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        InspectRun r = InspectRun.run("inspect", "--target", url, "tables");
        System.out.print(r.out());
        assertEquals(0, r.rc(), r.toString());
        assertEquals("1 table has more dead tuples than its autovacuum trigger; furthest: public.churn (6,000 dead,"
                + " trigger 2,050).", r.out().lines().findFirst().orElseThrow());
        String churn = InspectLocksTest.line(r.out(), "public.churn ");
        assertTrue(churn.matches("public\\.churn\\s+6,000\\s+2,050\\s+293%\\s+[\\d,]+\\s+-\\s+-\\s+\\S+\\s+-\\s+\\d+\\s+0%\\s+.*"
                + "vacuum \\+ analyze due; autovacuum off for this table"), churn);
        String tuned = InspectLocksTest.line(r.out(), "public.tuned ");
        assertTrue(tuned.matches("public\\.tuned\\s+6,000\\s+102,000\\s+6%\\s+.*"), tuned);
        assertFalse(tuned.contains("due"), tuned);
        assertTrue(r.out().indexOf(churn) < r.out().indexOf(tuned), "furthest past its trigger first");

        JsonNode doc = new ObjectMapper().readTree(InspectRun.run("inspect", "tables", "--json", "--target", url).out());
        assertEquals(2, doc.get("tables").asInt());
        assertEquals(1, doc.get("vacuumDue").asInt());
        JsonNode first = doc.get("top").get(0);
        assertEquals("churn", first.get("name").asText());
        assertEquals(2050, first.get("vacuumTrigger").asLong());
        assertFalse(first.get("autovacuumEnabled").asBoolean());
        assertTrue(first.get("bytes").asLong() > 0);
    }
}
