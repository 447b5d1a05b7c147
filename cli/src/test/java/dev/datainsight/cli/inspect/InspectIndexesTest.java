package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code inspect indexes}: unused, duplicate (prefix and identical) and invalid indexes with sizes and the total. */
class InspectIndexesTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Test
    void unusedDuplicateAndInvalidIndexes_listedWithSizesAndTheWasteTotal() throws Exception {
        String db = PG.freshDatabase("indexes");
        String url = PG.server().jdbcUrl(db);
        long expected;
        long unusedBytes;
        long duplicateBytes;
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id int PRIMARY KEY, customer int, placed date, code text UNIQUE)");
            st.execute("INSERT INTO orders SELECT i, i % 500, DATE '2024-01-01' + i % 300, 'c' || i"
                    + " FROM generate_series(1, 20000) i");
            st.execute("CREATE INDEX orders_placed ON orders (placed)");            // unused
            st.execute("CREATE INDEX orders_customer ON orders (customer)");        // leading columns of the next
            st.execute("CREATE INDEX orders_customer_placed ON orders (customer, placed)");
            st.execute("CREATE INDEX orders_customer_placed_2 ON orders (customer, placed)"); // same definition
            st.execute("CREATE TABLE \"evil" + "\u001b" + "[31m\" (x int)");
            st.execute("INSERT INTO \"evil\u001b[31m\" VALUES (1), (1)");
            st.execute("ANALYZE");
            // A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind.
            assertThrows(SQLException.class, () -> st.execute("CREATE UNIQUE INDEX CONCURRENTLY evil_x ON \"evil\u001b[31m\" (x)"));
            // Scans of the primary key and of the unique index; the others stay unused.
            st.execute("SET enable_seqscan = off");
            st.execute("SELECT * FROM orders WHERE id = 5");
            st.execute("SELECT * FROM orders WHERE code = 'c5'");
            st.execute("SELECT pg_stat_force_next_flush()");
            expected = InspectRun.scalar(c, "SELECT sum(pg_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN"
                    + " ('orders_placed', 'orders_customer', 'orders_customer_placed', 'orders_customer_placed_2', 'evil_x')");
            unusedBytes = InspectRun.scalar(c, "SELECT sum(pg_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN"
                    + " ('orders_placed', 'orders_customer', 'orders_customer_placed', 'orders_customer_placed_2')");
            duplicateBytes = InspectRun.scalar(c, "SELECT sum(pg_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN"
                    + " ('orders_customer', 'orders_customer_placed_2')");
        }
        try (Connection c = PG.server().connect(db)) {
            InspectRun.await("index scans counted", () -> {
                try {
                    return InspectRun.scalar(c, "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'orders_code_key'") > 0;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        InspectRun r = InspectRun.run("inspect", "--target", url, "indexes");
        System.out.print(r.out());
        assertEquals(0, r.rc(), r.toString());
        String head = r.out().lines().findFirst().orElseThrow();
        assertEquals("4 unused indexes waste " + Terminal.bytes(unusedBytes) + "; 2 duplicate indexes waste "
                + Terminal.bytes(duplicateBytes) + "; 1 invalid index wastes 0 bytes; total waste " + Terminal.bytes(expected)
                + " (5 indexes)", head);
        String placed = InspectLocksTest.line(r.out(), "public.orders_placed ");
        assertTrue(placed.contains("unused") && placed.contains(" kB"), placed);
        String prefix = InspectLocksTest.line(r.out(), "public.orders_customer ");
        assertTrue(prefix.contains("leading columns of orders_customer_placed"), prefix);
        String same = InspectLocksTest.line(r.out(), "public.orders_customer_placed_2 ");
        assertTrue(same.contains("same definition as orders_customer_placed"), same);
        String invalid = InspectLocksTest.line(r.out(), "public.evil_x ");
        assertTrue(invalid.contains("invalid") && invalid.contains("evil\\x1b[31m"), invalid);
        assertFalse(r.out().contains("orders_pkey") || r.out().contains("orders_code_key"),
                "unique and primary-key indexes are never unused");
        assertFalse(r.out().contains("\u001b"), r.out());

        JsonNode doc = new ObjectMapper().readTree(InspectRun.run("inspect", "indexes", "--target", url, "--json").out());
        assertEquals(expected, doc.get("totalBytes").asLong());
        assertEquals(5, doc.get("totalCount").asInt());
        assertEquals(4, doc.get("unusedCount").asInt());
        assertEquals(unusedBytes, doc.get("unusedBytes").asLong());
        assertEquals(2, doc.get("duplicateCount").asInt());
        assertEquals(1, doc.get("invalidCount").asInt());
        long listed = 0;
        for (JsonNode i : doc.get("indexes")) {
            // The failed CREATE INDEX CONCURRENTLY stopped before writing anything.
            assertTrue(i.get("bytes").asLong() > 0 || i.get("name").asText().equals("evil_x"), i.toString());
            listed += i.get("bytes").asLong();
        }
        assertEquals(expected, listed);
    }
}
