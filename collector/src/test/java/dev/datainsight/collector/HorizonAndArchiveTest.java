package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.exec;
import static dev.datainsight.collector.TestSupport.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Conditions the matrix servers cannot show: a prepared transaction holding the xmin horizon
 * (needs max_prepared_transactions), and WAL waiting to be archived behind a failing
 * archive_command (needs archive_mode).
 */
class HorizonAndArchiveTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17, Map.of("max_prepared_transactions", "5",
            "archive_mode", "on", "archive_command", "/bin/false"));

    static Collector collector(String db) {
        String role = TestSupport.createRole(PG.server(), "di_hz", true);
        return new Collector(FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("hz").url(PG.server().jdbcUrlNoUser(db)).user(role).password("secret").build())
                .build(), s -> { });
    }

    @Test
    void preparedTransaction_holdsTheHorizon() throws Exception {
        String db = PG.freshDatabase("hz");
        exec(PG.server(), db, "CREATE TABLE t_px (id int)");
        try (Collector c = collector(db); Connection px = PG.server().connect(db)) {
            try (Statement st = px.createStatement()) {
                st.execute("BEGIN");
                st.execute("INSERT INTO t_px VALUES (1)");
                st.execute("PREPARE TRANSACTION 'di_px'");
            }
            try {
                String[] burn = new String[12];
                Arrays.fill(burn, "SELECT txid_current()");
                exec(PG.server(), db, burn);
                SnapshotRow r = view(c.collectOnce("hz"), "xmin_horizon").getRows().get(0);
                assertEquals(3.0, r.getValues().get("holder"), () -> "the prepared transaction holds it: " + r.getValues());
                assertTrue(r.getValues().get("prepared_xact_age") >= 12, r.getValues().toString());
                assertEquals(r.getValues().get("horizon_age"), r.getValues().get("prepared_xact_age"));
                assertEquals(null, r.getValues().get("holder_pid"), "no session: the holder is the prepared transaction");
                // A snapshot taken now has the prepared transaction's xid as its xmin: a tie that
                // still names the prepared transaction, not the session repeating it.
                try (Connection reader = PG.server().connect(db); Statement rs = reader.createStatement()) {
                    rs.execute("BEGIN ISOLATION LEVEL REPEATABLE READ");
                    rs.execute("SELECT count(*) FROM t_px");
                    SnapshotRow tie = view(c.collectOnce("hz"), "xmin_horizon").getRows().get(0);
                    assertEquals(tie.getValues().get("prepared_xact_age"), tie.getValues().get("backend_xmin_age"),
                            () -> "the session's snapshot ties with the prepared transaction: " + tie.getValues());
                    assertEquals(3.0, tie.getValues().get("holder"), () -> "a tie names the prepared transaction: " + tie.getValues());
                    assertEquals(null, tie.getValues().get("holder_pid"), tie.getValues()::toString);
                    rs.execute("COMMIT");
                }
            } finally {
                exec(PG.server(), db, "ROLLBACK PREPARED 'di_px'");
            }
            SnapshotRow after = view(c.collectOnce("hz"), "xmin_horizon").getRows().get(0);
            assertEquals(null, after.getValues().get("prepared_xact_age"));
        }
    }

    @Test
    void failingArchiveCommand_leavesReadySegments() {
        String db = PG.freshDatabase("arch");
        exec(PG.server(), db, "CREATE TABLE t_w (v int)", "INSERT INTO t_w SELECT generate_series(1, 1000)",
                "SELECT pg_switch_wal()", "INSERT INTO t_w SELECT generate_series(1, 1000)", "SELECT pg_switch_wal()");
        try (Collector c = collector(db)) {
            long until = System.currentTimeMillis() + 20_000;
            SnapshotRow r;
            do {
                List<Snapshot> s = c.collectOnce("hz");
                r = view(s, "pg_stat_archiver").getRows().get(0);
                if (r.getValues().get("failed_count") > 0) {
                    break;
                }
                TestSupport.sleep(300);
            } while (System.currentTimeMillis() < until);
            SnapshotRow got = r;
            assertTrue(got.getValues().get("failed_count") > 0, () -> "archive_command fails: " + got.getValues());
            assertTrue(got.getValues().get("ready_count") >= 2, () -> "switched segments wait to be archived: " + got.getValues());
            assertTrue(got.getValues().get("wal_dir_bytes") >= got.getValues().get("ready_count") * 16 * 1024 * 1024,
                    () -> "the waiting segments are in pg_wal: " + got.getValues());
            System.out.println("HorizonAndArchiveTest archiver: " + got.getValues());
        }
    }
}
