package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.exec;
import static dev.datainsight.collector.TestSupport.row;
import static dev.datainsight.collector.TestSupport.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.Probe;
import dev.datainsight.collector.probe.ProbeContext;
import dev.datainsight.collector.probe.ProbeGroup;
import dev.datainsight.collector.probe.ProbeOutput;
import dev.datainsight.collector.probe.Probes;
import dev.datainsight.collector.probe.SqlVariants;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The collector cannot become a hazard: timeouts, read-only sessions, least privilege. */
class SafetyTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    static String db;
    static String monitor;

    @BeforeAll
    static void setUp() {
        db = PG.freshDatabase("safety");
        monitor = TestSupport.createRole(PG.server(), "di_safe", true);
        exec(PG.server(), db, "CREATE EXTENSION pg_stat_statements",
                "CREATE TABLE t_big (id int PRIMARY KEY, v text)",
                "INSERT INTO t_big SELECT g, 'x' FROM generate_series(1, 5000) g", "ANALYZE t_big");
    }

    /** A test probe that runs one statement and reports what happened. */
    static Probe sqlProbe(String name, String sql, AtomicReference<List<String>> seen) {
        return new Probe() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String view() {
                return "pg_settings";
            }

            @Override
            public ProbeGroup group() {
                return ProbeGroup.SLOW;
            }

            @Override
            public ProbeOutput collect(ProbeContext ctx) throws SQLException {
                try (PreparedStatement ps = ctx.connection().prepareStatement(SqlVariants.tag(name, sql))) {
                    if (ps.execute() && seen != null) {
                        try (ResultSet rs = ps.getResultSet()) {
                            rs.next();
                            List<String> l = new ArrayList<>();
                            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                                l.add(rs.getString(i));
                            }
                            seen.set(l);
                        }
                    }
                }
                return ProbeOutput.skipped("test probe");
            }
        };
    }

    static FleetConfig config(String user, String database, Duration statementTimeout) {
        return FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("safety").url(PG.server().jdbcUrlNoUser(database)).user(user)
                        .password("secret").build())
                .statementTimeout(statementTimeout)
                .build();
    }

    static List<Probe> with(Probe... extra) {
        List<Probe> l = new ArrayList<>(Probes.all());
        l.addAll(List.of(extra));
        return l;
    }

    static SnapshotRow health(List<Snapshot> s, String probe) {
        return row(view(s, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", probe));
    }

    @Test
    void sessionsAreReadOnly_withTimeoutsAndApplicationName() {
        AtomicReference<List<String>> seen = new AtomicReference<>();
        Probe settings = sqlProbe("t_settings", "SELECT pg_catalog.current_setting('statement_timeout'),"
                + " pg_catalog.current_setting('lock_timeout'), pg_catalog.current_setting('transaction_read_only'),"
                + " pg_catalog.current_setting('application_name')", seen);
        Probe write = sqlProbe("t_write", "CREATE TABLE pg_temp.must_fail (id int)", null);
        try (Collector c = new Collector(config(monitor, db, Duration.ofSeconds(5)), s -> { }, with(settings, write))) {
            List<Snapshot> s = c.collectOnce("safety");
            assertEquals(List.of("5s", "1s", "on", "datainsight-collector"), seen.get());
            assertEquals(1.0, health(s, "t_write").getValues().get("error"));
            assertTrue(c.status("safety").probeErrors().get("t_write").contains("read-only transaction"),
                    c.status("safety").probeErrors().toString());
            assertEquals(1.0, health(s, "").getValues().get("up"));
        }
    }

    @Test
    void accessExclusiveLock_probesDoNotWait_andLockTimeoutEndsAWaitingQuery() throws Exception {
        Probe waits = sqlProbe("t_locked_size", "SELECT pg_catalog.pg_relation_size('public.t_big'::regclass)", null);
        try (Connection locker = PG.server().connect(db);
                Collector c = new Collector(config(monitor, db, Duration.ofSeconds(5)), s -> { }, with(waits))) {
            locker.setAutoCommit(false);
            try (Statement st = locker.createStatement()) {
                st.execute("LOCK TABLE t_big IN ACCESS EXCLUSIVE MODE");
            }
            List<Snapshot> s = c.collectOnce("safety");
            // the built-in probes never queue behind the lock
            for (Probe p : Probes.all()) {
                if (p instanceof dev.datainsight.collector.probe.PlansProbe) {
                    continue; // off unless enabled (PlansProbeBase checks it under locks)
                }
                assertEquals(0.0, health(s, p.name()).getValues().get("error"), p.name() + ": " + c.status("safety").probeErrors());
            }
            SnapshotRow big = row(view(s, "pg_stat_user_tables"), Map.of("relname", "t_big"));
            assertNotNull(big);
            assertTrue(big.getValues().get("table_size_bytes") > 0, "size read from pg_class, without waiting for the lock");
            assertTrue(big.getValues().get("n_live_tup") > 0, "the rest of the row is still read");
            // a query that does need the lock gives up after lock_timeout and the cycle goes on
            assertEquals(1.0, health(s, "t_locked_size").getValues().get("error"));
            assertTrue(c.status("safety").probeErrors().get("t_locked_size").contains("lock timeout"),
                    c.status("safety").probeErrors().toString());
            assertNotNull(view(s, "pg_stat_statements"), "probes after the failing one still ran");
            assertEquals(1.0, health(s, "").getValues().get("up"));
            locker.rollback();
        }
    }

    @Test
    void statementTimeoutIsHonoured_andTheCycleGoesOn() {
        Probe slow = sqlProbe("t_slow", "SELECT pg_catalog.pg_sleep(30)", null);
        try (Collector c = new Collector(config(monitor, db, Duration.ofMillis(500)), s -> { }, with(slow))) {
            List<Snapshot> s = c.collectOnce("safety");
            assertEquals(1.0, health(s, "t_slow").getValues().get("error"));
            assertTrue(c.status("safety").probeErrors().get("t_slow").contains("statement timeout"),
                    c.status("safety").probeErrors().toString());
            assertEquals(1.0, health(s, "").getValues().get("up"));
            assertNotNull(view(s, "pg_stat_database"));
        }
    }

    @Test
    void roleWithoutPgMonitor_getsAClearError() {
        String plain = TestSupport.createRole(PG.server(), "di_plain", false);
        try (Collector c = new Collector(config(plain, db, Duration.ofSeconds(5)), s -> { })) {
            List<Snapshot> s = c.collectOnce("safety");
            assertEquals(0.0, health(s, "").getValues().get("up"));
            assertEquals(1.0, health(s, "connect").getValues().get("error"));
            dev.datainsight.model.WireCodec codec = new dev.datainsight.model.WireCodec();
            assertTrue(codec.decodeSnapshot(codec.encode(view(s, MetricCatalog.COLLECTOR_VIEW))).isOk(),
                    "up=0 of a server never reached is valid on the wire");
            String err = c.status("safety").lastError();
            assertTrue(err.contains("is not a member of pg_monitor") && err.contains("GRANT pg_monitor TO \"" + plain + "\""), err);
        }
    }

    @Test
    void missingPgStatStatements_isReported_andTheRestGoesOn() {
        String bare = PG.freshDatabase("bare");
        try (Collector c = new Collector(config(monitor, bare, Duration.ofSeconds(5)), s -> { })) {
            for (int i = 0; i < 2; i++) {
                List<Snapshot> s = c.collectOnce("safety");
                assertNull(view(s, "pg_stat_statements"));
                SnapshotRow h = health(s, "pg_stat_statements");
                assertEquals(0.0, h.getValues().get("rows"));
                assertEquals(0.0, health(s, "").getValues().get("error"), c.status("safety").probeErrors().toString());
                assertNotNull(view(s, "pg_stat_activity"));
                assertNotNull(view(s, "pg_stat_user_tables"));
            }
        }
    }
}
