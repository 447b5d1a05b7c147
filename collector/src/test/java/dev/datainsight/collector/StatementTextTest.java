package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.PlanShape;
import dev.datainsight.collector.probe.StatementText;
import org.junit.jupiter.api.Test;

/** What the plans probe and {@code explain --analyze} accept, decided from the text alone. */
class StatementTextTest {

    private static String why(String sql) {
        return StatementText.of(sql).whyNotExplainable();
    }

    @Test
    void singleQueries_areExplainable() {
        assertNull(why("SELECT * FROM orders WHERE customer_id = $1"));
        assertNull(why("  /* app */ -- note\n WITH x AS (SELECT 1) SELECT * FROM x;"));
        assertNull(why("(SELECT 1) UNION (SELECT 2)"));
        assertNull(why("VALUES ($1)"));
        assertNull(why("SELECT 'update; delete' AS \"insert\" FROM t WHERE d = $tag$ drop ; $tag$"), "literals and quoted names are not words");
        assertNull(why("SELECT E'it\\'s; UPDATE' FROM t"));
        assertNull(why("SELECT data ? 'k' FROM t"), "a jsonb ? is no parameter");
    }

    @Test
    void everythingElse_isSkippedWithAReason() {
        assertTrue(why("UPDATE t SET v = $1").contains("RowExclusiveLock"));
        assertTrue(why("delete from t").contains("DELETE"));
        assertTrue(why("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d").contains("DELETE"));
        assertTrue(why("SELECT * FROM t FOR UPDATE").contains("UPDATE"));
        assertTrue(why("SELECT * FROM t FOR SHARE").contains("RowShareLock"));
        assertTrue(why("SELECT * FROM t FOR NO KEY UPDATE").contains("locking clause"));
        assertEquals("SELECT INTO creates a table", why("SELECT * INTO t2 FROM t"));
        assertEquals("DDL (CREATE)", why("CREATE INDEX i ON t (a)"));
        assertEquals("utility statement (VACUUM)", why("VACUUM t"));
        assertEquals("utility statement (EXPLAIN)", why("EXPLAIN SELECT 1"));
        assertEquals("more than one statement", why("SELECT 1; DROP TABLE t"));
        assertEquals("more than one statement", why("SELECT 1 --\r; DROP TABLE t"), "a comment ends at \\r too");
        assertEquals("more than one statement", why("SELECT 1 /* a /* nested */ still */; DROP TABLE t"));
        assertTrue(why("SELECT * FROM t WHERE a = 'abc").contains("truncated"));
        assertTrue(why("SELECT /* unterminated").contains("truncated"));
        assertEquals("empty statement", why(" -- nothing"));
    }

    @Test
    void analyze_alsoRefusesFunctionsWithEffectsOutsideTheTransaction() {
        assertNull(StatementText.of("SELECT count(*) FROM t WHERE v > $1").whyNotAnalyzable());
        for (String sql : new String[] {"SELECT pg_terminate_backend(1)", "SELECT pg_sleep(10)", "SELECT PG_ADVISORY_LOCK(1)",
            "SELECT set_config('a', 'b', false)", "SELECT \"pg_cancel_backend\"(1)", "SELECT nextval('s')"}) {
            String w = StatementText.of(sql).whyNotAnalyzable();
            assertNotNull(w, sql);
            assertTrue(w.contains("outside the transaction"), w);
        }
        assertEquals(2, StatementText.of("SELECT $1, $2, '$3'").maxParam());
    }

    @Test
    void fingerprint_ignoresEstimates_butNotTheShape() throws Exception {
        String a = "[{\"Plan\": {\"Node Type\": \"Index Scan\", \"Index Name\": \"i\", \"Relation Name\": \"t\","
                + " \"Total Cost\": 8.3, \"Plan Rows\": 1, \"Plan Width\": 4}}]";
        String b = a.replace("8.3", "12.9").replace("\"Plan Rows\": 1", "\"Plan Rows\": 40");
        String c = "[{\"Plan\": {\"Node Type\": \"Seq Scan\", \"Relation Name\": \"t\", \"Total Cost\": 8.3}}]";
        assertEquals(PlanShape.of(a).fingerprint(), PlanShape.of(b).fingerprint());
        assertTrue(!PlanShape.of(a).fingerprint().equals(PlanShape.of(c).fingerprint()));
        assertEquals("Index Scan using i on t", PlanShape.of(a).summary());
        assertEquals("HashAggregate(Seq Scan on t)", PlanShape.of("[{\"Plan\": {\"Node Type\": \"Aggregate\", \"Strategy\":"
                + " \"Hashed\", \"Plans\": [{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"t\"}]}}]").summary());
        assertEquals("Aggregate", PlanShape.of("[{\"Plan\": {\"Node Type\": \"Aggregate\", \"Strategy\": \"Plain\"}}]").summary());
        String join = "[{\"Plan\": {\"Node Type\": \"Nested Loop\", \"Join Type\": \"Inner\", \"Plans\": ["
                + "{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"a\"}, {\"Node Type\": \"Seq Scan\", \"Relation Name\": \"b\"}]}}]";
        String swapped = join.replace("\"a\"", "\"x\"").replace("\"b\"", "\"a\"").replace("\"x\"", "\"b\"");
        assertTrue(!PlanShape.of(join).fingerprint().equals(PlanShape.of(swapped).fingerprint()), "join order counts");
    }
}
