package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code inspect connections} and {@code activity} on a server with few slots
 * (max_connections 20, 3 reserved for superusers, 2 reserved_connections: 15 usable), saturated
 * by one application.
 */
class InspectConnectionsTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17,
            Map.of("max_connections", "20", "superuser_reserved_connections", "3", "reserved_connections", "2"));

    private static final String ESC = "\u001b";

    @Test
    void saturation_usageLineAndTopHolder_andBusySessionsWithHostileText() throws Exception {
        String db = PG.freshDatabase("conns");
        String url = PG.server().jdbcUrl(db);
        List<Connection> held = new ArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 11; i++) {
                held.add(InspectRun.connect(url, "billing-api"));
            }
            // One more billing-api session runs a statement whose text and application_name carry
            // escape sequences (clear screen, set the terminal title, bidi override).
            Connection evil = InspectRun.connect(url, "billing-api");
            held.add(evil);
            try (Statement st = evil.createStatement()) {
                st.execute("SET application_name = 'evil" + ESC + "[31mred'");
            }
            pool.submit(() -> {
                try (Statement st = evil.createStatement()) {
                    st.execute("SELECT pg_sleep(30), '" + ESC + "[2J" + ESC + "]0;owned\u0007 \u202emoc.evil'");
                }
                return null;
            });
            try (Connection probe = PG.server().connect(db)) {
                InspectRun.await("the sleeping statement", () -> {
                    try {
                        return InspectRun.scalar(probe, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'"
                                + " AND state = 'active'") == 1;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            // 12 application sessions + the inspecting one = 13 of 15.
            settle(held.get(0));
            InspectRun r = InspectRun.run("inspect", "--target", url, "connections");
            System.out.print(r.out());
            assertEquals(0, r.rc(), r.toString());
            assertEquals("13 of 15 usable (87%), 2 left; billing-api holds 11", r.out().lines().findFirst().orElseThrow(),
                    r.toString());
            assertTrue(r.out().contains("usable = max_connections 20 - superuser_reserved_connections 3 - reserved_connections 2"),
                    r.out());
            String group = InspectLocksTest.line(r.out(), "postgres  billing-api ");
            assertTrue(group.matches("postgres\\s+billing-api\\s+127\\.0\\.0\\.1\\s+11\\s+0\\s+11\\s+0\\s+-"), group);
            assertFalse(r.out().contains(ESC), "no raw escape character reaches the terminal");
            assertTrue(r.out().contains("evil\\x1b[31mred") || r.out().contains("evil?[31mred"), r.out());

            settle(held.get(0));
            InspectRun j = InspectRun.run("inspect", "connections", "--target", url, "--json");
            assertEquals(0, j.rc(), j.toString());
            assertFalse(j.out().contains(ESC), "JSON escapes control characters too");
            JsonNode doc = new ObjectMapper().readTree(j.out());
            assertEquals(15, doc.get("usable").asInt());
            assertEquals(13, doc.get("used").asInt());
            assertEquals(2, doc.get("left").asInt());
            assertEquals("billing-api", doc.get("topHolder").get("application").asText());
            assertEquals(11, doc.get("topHolder").get("sessions").asInt());

            settle(held.get(0));
            InspectRun a = InspectRun.run("inspect", "--target", url, "activity");
            System.out.print(a.out());
            assertEquals(0, a.rc(), a.toString());
            assertTrue(a.out().startsWith("13 of 15 usable (87%), 2 left; billing-api holds 11"), a.out());
            String busy = InspectLocksTest.line(a.out(), "pg_sleep(30)");
            assertTrue(busy.contains("active") && busy.contains("Timeout:PgSleep"), busy);
            assertFalse(a.out().contains(ESC) || a.out().contains("\u0007") || a.out().contains("\u202e"), a.out());
            assertTrue(busy.contains("\\x1b[2J\\x1b]0;owned\\x07 \\u202emoc.evil"), busy);

            InspectRun aj = InspectRun.run("inspect", "--target", url, "--json", "activity");
            JsonNode session = new ObjectMapper().readTree(aj.out()).get("sessions").get(0);
            assertTrue(session.get("statement").asText().contains(ESC + "[2J"), "JSON keeps the exact text (escaped)");
        } finally {
            pool.shutdownNow();
            for (Connection c : held) {
                c.close();
            }
        }
    }

    /** Waits until only the 12 held sessions remain (a closed client's backend exits a moment later). */
    private static void settle(Connection held) throws Exception {
        InspectRun.await("earlier sessions to end", () -> {
            try {
                return InspectRun.scalar(held, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'") == 12;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200); // the checking session is idle again
    }
}
