package dev.datainsight.collector;

import dev.datainsight.collector.probe.PartialResultException;
import dev.datainsight.collector.probe.PerDatabaseProbe;
import dev.datainsight.collector.probe.Probe;
import dev.datainsight.collector.probe.ProbeContext;
import dev.datainsight.collector.probe.ProbeGroup;
import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.collector.probe.ProbeOutput;
import dev.datainsight.collector.probe.ResultRows;
import dev.datainsight.collector.probe.SqlVariants;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitored server: its version, what it has already sent, its reconnect backoff, and two
 * <em>lanes</em>, each with its own connection, so the server never sees more than two
 * connections from the collector:
 * <ul>
 *   <li>the <b>fast</b> lane runs the fast group on the instance's main connection to the
 *       configured database; it is the one that connects (with backoff) and validates the
 *       reused connection ({@link Connection#isValid}) before every cycle, so a connection the
 *       server closed (pg_terminate_backend, idle_session_timeout) is replaced at once;</li>
 *   <li>the <b>slow</b> lane runs the slow and sizes groups on one connection at a time: to the
 *       configured database, then, for the per-database probes, to each other database in turn
 *       (all per-database probes of a database, then the next), closed when the cycle ends.</li>
 * </ul>
 * The lanes run concurrently: a slow or hung slow run never delays the fast group. A lane whose
 * previous run is still going is not queued behind: {@link #tryCollect} reports it {@code stale}
 * instead. Each run has a deadline (its group's interval, at least the statement timeout): past
 * it, no further probe or database is visited, and {@link #abortOverdue} (called by the
 * scheduler) aborts a connection still blocked in a statement.
 */
final class InstanceSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSession.class);
    static final String APPLICATION_NAME = dev.datainsight.collector.probe.Probes.APPLICATION_NAME;
    /** Connections one server sees at most from the collector: the fast lane's and the slow lane's. */
    static final int MAX_CONNECTIONS = 2;
    private static final int MAX_SEEN_QUERY_IDS = 100_000;
    /** server_version_num sent in health snapshots before the first successful connection (wire: 0 = unknown). */
    static final int UNKNOWN_VERSION = 0;
    /** Grace after a run's deadline before its blocked connection is aborted. */
    private static final long ABORT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final String HELLO = SqlVariants.tag("connect", """
            SELECT pg_catalog.current_setting('server_version_num')::int,
              r.rolsuper, pg_catalog.pg_has_role(r.oid, 'pg_monitor', 'USAGE')
            FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER""");
    /**
     * Who the server is, every fast cycle: a VIP failover shows as a new system_identifier, a
     * promotion as in_recovery 1 → 0 and a new timeline. pg_control_* need pg_monitor (or
     * superuser); without EXECUTE the values stay null.
     */
    private static final String IDENTITY = SqlVariants.tag("identity", """
            SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
                THEN (SELECT c.system_identifier::text FROM pg_catalog.pg_control_system() c) END,
              pg_catalog.pg_is_in_recovery(),
              CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_checkpoint()', 'EXECUTE')
                THEN (SELECT k.timeline_id FROM pg_catalog.pg_control_checkpoint() k) END""");
    private static final String DATABASES = SqlVariants.tag("databases", """
            SELECT d.datname
            FROM pg_catalog.pg_database d
            LEFT JOIN pg_catalog.pg_stat_database s ON s.datid = d.oid
            WHERE d.datallowconn AND NOT d.datistemplate
              AND pg_catalog.has_database_privilege(d.oid, 'CONNECT')
            ORDER BY (d.datname = pg_catalog.current_database()) DESC,
              COALESCE(s.xact_commit + s.xact_rollback, 0) DESC, d.datname
            LIMIT ?""");

    private final FleetConfig.Instance instance;
    private final FleetConfig config;
    private final List<Probe> probes;
    /** Stamps collected_at; backoff and probe durations use real time. */
    private final Clock clock;
    private final Set<String> seen = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > MAX_SEEN_QUERY_IDS;
        }
    }));
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final Map<String, String> probeErrors = new ConcurrentHashMap<>();
    /** State probes keep for this instance between cycles ({@link ProbeContext#state}). */
    private final Map<Class<?>, Object> probeState = new ConcurrentHashMap<>();
    private final Lane fast = new Lane("fast");
    private final Lane slow = new Lane("slow");

    private volatile int serverVersionNum;
    /** Fast lane only: reconnect backoff. */
    private long nextAttemptAt;
    private long backoffMs;
    private boolean outageLogged;
    private volatile String lastError;
    private volatile String lastSqlState;
    private volatile boolean up;
    private volatile boolean awaitedFirstConnect;
    /** A fast cycle has ended (connected or not): {@link #up} means something. */
    private volatile boolean fastDone;
    /** Identity read by the latest fast cycle (null: unknown / not permitted). */
    private volatile String systemIdentifier;
    private volatile Boolean inRecovery;
    private volatile Integer timelineId;
    private final AtomicLong cycles = new AtomicLong();
    /** collected_at of the last health snapshot: the lanes' health snapshots never share a key. */
    private final AtomicLong lastHealthAt = new AtomicLong(Long.MIN_VALUE);

    /** Self-metrics of the collector (null: a throw-away session, nothing counted). */
    private final CollectorMetrics metrics;

    InstanceSession(FleetConfig.Instance instance, FleetConfig config, List<Probe> probes, Clock clock,
            CollectorMetrics metrics) {
        this.instance = instance;
        this.config = config;
        this.probes = probes;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Whether the latest fast cycle reached the server; null before the first fast cycle ended. */
    Boolean upOrNull() {
        return fastDone ? up : null;
    }

    private void countError(String probe, String sqlState) {
        if (metrics != null) {
            metrics.probeFailed(instance.id(), probe, sqlState);
        }
    }

    FleetConfig.Instance instance() {
        return instance;
    }

    /** A snapshot of this session was delivered: its query texts count as sent. */
    void delivered(Snapshot s) {
        if (s instanceof StatementsSnapshot st && st.getTexts() != null) {
            for (var x : st.getTexts()) {
                seen.add(x.queryid());
            }
        }
    }

        InstanceStatus status() {
        return new InstanceStatus(instance.id(), up, serverVersionNum, lastError, Map.copyOf(probeErrors), cycles.get(),
                lastSqlState);
    }

    private Lane lane(ProbeGroup g) {
        return g == ProbeGroup.FAST ? fast : slow;
    }

    private Duration interval(ProbeGroup g) {
        return switch (g) {
            case FAST -> instance.intervals().fast();
            case SLOW -> instance.intervals().slow();
            case SIZES -> config.sizesInterval();
        };
    }

    /**
     * One lane: a {@link ProbeContext} holding at most one connection (the fast lane: the main
     * one; the slow lane: the configured database's, or another database's while the
     * per-database probes visit it).
     */
    private final class Lane implements ProbeContext {
        final String name;
        final ReentrantLock lock = new ReentrantLock();
        volatile Connection conn;
        volatile String connDb;
        List<String> cycleDatabases;
        volatile long startedNanos;
        volatile long deadlineNanos;

        Lane(String name) {
            this.name = name;
        }

        @Override
        public String instanceId() {
            return instance.id();
        }

        @Override
        public int serverVersionNum() {
            return serverVersionNum;
        }

        @Override
        public Connection connection() {
            try {
                return connection(instance.database());
            } catch (SQLException e) {
                throw new UncheckedSql(e);
            }
        }

        @Override
        public ProbeLimits limits() {
            return config.limits();
        }

        @Override
        public dev.datainsight.collector.probe.PlansSettings plans() {
            return instance.plans();
        }

        @Override
        public dev.datainsight.collector.probe.SessionLimits sessionLimits() {
            return config.sessionLimits();
        }

        /** Per-cycle scratch shared by the probes of one run of this lane (cleared when a run starts). */
        final Map<String, Object> scratch = new java.util.HashMap<>();

        @Override
        public Map<String, Object> cycleScratch() {
            return scratch;
        }

        @Override
        public <T> T state(Class<T> type, java.util.function.Supplier<T> create) {
            return type.cast(probeState.computeIfAbsent(type, k -> create.get()));
        }

        @Override
        public List<String> databases() throws SQLException {
            if (cycleDatabases == null) {
                List<String> l = new ArrayList<>();
                try (PreparedStatement ps = connection(instance.database()).prepareStatement(DATABASES)) {
                    ps.setInt(1, config.limits().maxDatabases());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            l.add(rs.getString(1));
                        }
                    }
                }
                cycleDatabases = l;
            }
            return cycleDatabases;
        }

        /** The lane's one connection, switched to {@code database} (the previous one is closed first). */
        @Override
        public Connection connection(String database) throws SQLException {
            if (conn != null && database.equals(connDb)) {
                return conn;
            }
            closeAndAwait();
            Connection c = open(database);
            conn = c;
            connDb = database;
            return c;
        }

        @Override
        public Set<String> seenQueryIds() {
            return seen;
        }

        @Override
        public void warnOnce(String key, String message) {
            if (warned.add(key)) {
                LOG.warn("[{}] {}", instance.id(), message);
            }
        }

        void disconnect() {
            closeQuietly(conn);
            conn = null;
            connDb = null;
        }

        /**
         * Closes the lane's connection and, when the fast lane's connection is free, waits (up to
         * a second) until the server has let the backend go: a backend still exiting occupies a
         * connection slot, and the next connection must not make it three.
         */
        void closeAndAwait() {
            Connection c = conn;
            if (c == null) {
                return;
            }
            int pid = 0;
            try {
                pid = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            } catch (SQLException | RuntimeException e) {
                // not a PostgreSQL connection: nothing to wait for
            }
            disconnect();
            if (pid != 0 && this != fast) {
                awaitBackendExit(pid);
            }
        }

        /** Ends a cycle: a connection to a database other than the configured one is closed. */
        void endCycle() {
            if (conn != null && !instance.database().equals(connDb)) {
                closeAndAwait();
            }
            cycleDatabases = null;
            startedNanos = 0;
        }
    }

    private static final String BACKEND_ALIVE = SqlVariants.tag("connections",
            "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE pid = ?");

    /**
     * Polls, on the fast lane's connection, until backend {@code pid} is gone (at most a second).
     * Waits up to a second for a running fast cycle to finish first; a fast lane that is stuck
     * longer is not waited for (its run has its own deadline).
     */
    private void awaitBackendExit(int pid) {
        try {
            if (!fast.lock.tryLock(1, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            Connection f = fast.conn;
            if (f == null) {
                return;
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            try (PreparedStatement ps = f.prepareStatement(BACKEND_ALIVE)) {
                ps.setInt(1, pid);
                while (System.nanoTime() < until) {
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next() || rs.getLong(1) == 0) {
                            return;
                        }
                    }
                    Thread.sleep(5);
                }
            }
        } catch (SQLException e) {
            // the fast lane finds out about its connection itself
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            fast.lock.unlock();
        }
    }

    /** Carries an SQLException through {@link ProbeContext#connection()}, which cannot throw it. */
    private static final class UncheckedSql extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UncheckedSql(SQLException e) {
            super(e);
        }

        SQLException sql() {
            return (SQLException) getCause();
        }
    }

    // ------------------------------------------------------------------------- connections

    private Connection open(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", instance.user());
        if (instance.password() != null) {
            p.setProperty("password", instance.password());
        }
        p.setProperty("ApplicationName", APPLICATION_NAME);
        // Safety settings travel in the startup packet: every statement of the session runs in a
        // read-only transaction with the statement and lock timeouts, without extra round trips.
        p.setProperty("options", "-c statement_timeout=" + config.statementTimeout().toMillis()
                + " -c lock_timeout=" + config.lockTimeout().toMillis()
                + " -c default_transaction_read_only=on"
                + " -c idle_in_transaction_session_timeout=" + Math.max(10_000, config.statementTimeout().toMillis() * 2));
        long connectSecs = Math.max(1, config.connectTimeout().toSeconds());
        p.setProperty("connectTimeout", Long.toString(connectSecs));
        p.setProperty("loginTimeout", Long.toString(connectSecs));
        p.setProperty("socketTimeout", Long.toString(config.statementTimeout().toSeconds() + 10));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("readOnly", "true");
        // application_name then travels in the startup packet instead of a SET statement.
        p.setProperty("assumeMinServerVersion", "13");
        Connection c = DriverManager.getConnection(instance.jdbcUrl(database), p);
        c.setAutoCommit(true);
        return c;
    }

    /** Fast lane: opens the main connection and checks version and role. */
    private void connect() throws SQLException {
        Connection c = open(instance.database());
        try (PreparedStatement ps = c.prepareStatement(HELLO); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("cannot read the collector's own role");
            }
            int v = rs.getInt(1);
            boolean superuser = rs.getBoolean(2);
            boolean monitor = rs.getBoolean(3);
            if (v < 130000) {
                throw new SQLException("PostgreSQL " + v + " is not supported: DataInsight collects from 13 and newer");
            }
            if (!superuser && !monitor) {
                throw new SQLException("role \"" + instance.user() + "\" is not a member of pg_monitor: other sessions'"
                        + " activity, statements and sizes would be hidden. Run as a superuser: GRANT pg_monitor TO \""
                        + instance.user() + "\";", "42501");
            }
            serverVersionNum = v;
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        fast.conn = c;
        fast.connDb = instance.database();
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException e) {
                // closing a broken connection: nothing to do
            }
        }
    }

    /**
     * Whether the instance's main connection is gone. Only the top-level error counts: a
     * per-database probe wraps failures of its own connections (which it drops and reopens next
     * cycle) so that they do not take the whole instance down.
     */
    static boolean isConnectionError(SQLException e, Connection c) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
            return true;
        }
        try {
            return c == null || c.isClosed();
        } catch (SQLException x) {
            return true;
        }
    }

    /** Whether a failure to reach a database means the server itself cannot be reached now. */
    static boolean isServerUnreachable(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.equals("57P03") || state.equals("53300")
                || state.equals("57P01") || state.equals("57P02"));
    }

    /** SQLSTATE of an error or of its causes; {@code 08000} for a network failure without one. */
    static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return s.getSQLState();
            }
            if (t instanceof java.io.IOException) {
                return "08000";
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------- collection

    /**
     * Runs the probes of the given groups once, each lane in turn, waiting for a lane that is
     * busy; one health snapshot covers them all. Never throws for database problems.
     */
    List<Snapshot> collect(Set<ProbeGroup> groups) {
        long start = clock.millis();
        long t0 = System.nanoTime();
        List<Snapshot> out = new ArrayList<>();
        List<SnapshotRow> health = new ArrayList<>();
        Run run = new Run();
        if (groups.contains(ProbeGroup.FAST)) {
            fast.lock.lock();
            try {
                runFast(EnumSet.of(ProbeGroup.FAST), run, out, health);
            } finally {
                fast.lock.unlock();
            }
        }
        EnumSet<ProbeGroup> slowGroups = EnumSet.noneOf(ProbeGroup.class);
        for (ProbeGroup g : groups) {
            if (g != ProbeGroup.FAST) {
                slowGroups.add(g);
            }
        }
        if (!groups.contains(ProbeGroup.FAST) && (!up || serverVersionNum == 0)) {
            run.up = false;
        } else if (!slowGroups.isEmpty() && run.up) {
            slow.lock.lock();
            try {
                runSlow(slowGroups, run, out, health);
            } finally {
                slow.lock.unlock();
            }
        }
        out.add(healthSnapshot(start, run, t0, health));
        return out;
    }

    /**
     * Runs one group now unless its lane is still busy with a previous run: then nothing is
     * queued and a health snapshot with {@code stale = 1} is returned instead.
     */
    List<Snapshot> tryCollect(ProbeGroup group) {
        Lane lane = lane(group);
        boolean locked;
        try {
            // A moment's grace (the slow lane briefly borrows the fast connection to see a closed
            // backend gone), never a queue: at most a quarter interval, at most 250 ms.
            locked = lane.lock.tryLock(Math.min(250, interval(group).toMillis() / 4), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            if (metrics != null) {
                metrics.runSkipped(instance.id(), group);
            }
            return staleSnapshots(group);
        }
        try {
            long start = clock.millis();
            long t0 = System.nanoTime();
            List<Snapshot> out = new ArrayList<>();
            List<SnapshotRow> health = new ArrayList<>();
            Run run = new Run();
            if (group == ProbeGroup.FAST) {
                runFast(EnumSet.of(group), run, out, health);
            } else {
                if (serverVersionNum == 0 && !awaitedFirstConnect) {
                    awaitedFirstConnect = true;
                    awaitFirstConnect();
                }
                if (!up || serverVersionNum == 0) {
                    // the fast lane reports the outage (and owns reconnecting); nothing to add
                    return List.of();
                }
                runSlow(EnumSet.of(group), run, out, health);
            }
            if (metrics != null) {
                metrics.cycleEnded(instance.id(), group, (System.nanoTime() - t0) / 1e9);
            }
            out.add(healthSnapshot(start, run, t0, health));
            return out;
        } finally {
            lane.lock.unlock();
        }
    }

    /** At start-up the slow lane gives the fast lane (which connects) a moment instead of skipping its first run. */
    private void awaitFirstConnect() {
        try {
            if (fast.lock.tryLock(config.connectTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS)) {
                fast.lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the lane of {@code group} is running a cycle. */
    boolean busy(ProbeGroup group) {
        return lane(group).lock.isLocked();
    }

    /**
     * Aborts the connection of the group's lane when its run is past its deadline (plus a
     * grace): a statement blocked on a hung server then fails at once and the lane is free
     * again. Called from the scheduler, never by the lane itself.
     */
    boolean abortOverdue(ProbeGroup group) {
        Lane lane = lane(group);
        long started = lane.startedNanos;
        Connection c = lane.conn;
        if (started == 0 || c == null || System.nanoTime() - lane.deadlineNanos < ABORT_GRACE_NANOS) {
            return false;
        }
        LOG.warn("[{}] {} cycle past its deadline: aborting its connection", instance.id(), lane.name);
        try {
            c.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
        }
        return true;
    }

    /** The health snapshot of a skipped run: {@code stale = 1}, the last known {@code up}. */
    List<Snapshot> staleSnapshots(ProbeGroup group) {
        return List.of(staleSnapshot(group));
    }

    private Snapshot staleSnapshot(ProbeGroup group) {
        long start = clock.millis();
        SnapshotRow row = healthRow("", 0, 0, false);
        // Before the first fast cycle has ended nothing is known yet: up stays null (not 0).
        row.value("up", !fastDone ? null : up ? 1.0 : 0.0);
        row.value("stale", 1.0);
        row.value("sqlstate", MetricCatalog.sqlStateCode(up ? null : lastSqlState));
        SnapshotRow g = healthRow(group.name().toLowerCase(java.util.Locale.ROOT), 0, 0, false);
        g.value("stale", 1.0);
        MetricsSnapshot s = new MetricsSnapshot();
        fill(s, MetricCatalog.COLLECTOR_VIEW, healthStamp(start));
        s.setRows(new ArrayList<>(List.of(row, g)));
        return s;
    }

    /** What one call found: reached the server, rows, any probe error. */
    private static final class Run {
        boolean up = true;
        int rows;
        boolean error;
        /** The fast lane read the identity in this run. */
        boolean identity;
    }

    private void runFast(Set<ProbeGroup> groups, Run run, List<Snapshot> out, List<SnapshotRow> health) {
        try {
            runFastCycle(groups, run, out, health);
        } finally {
            fastDone = true;
        }
    }

    private void runFastCycle(Set<ProbeGroup> groups, Run run, List<Snapshot> out, List<SnapshotRow> health) {
        cycles.incrementAndGet();
        Lane lane = fast;
        if (lane.conn != null && !valid(lane.conn)) {
            LOG.warn("[{}] the connection to {} was closed by the server; reconnecting", instance.id(), instance.jdbcUrl());
            lane.disconnect();
            backoffMs = 0;
            nextAttemptAt = 0;
        }
        if (lane.conn == null) {
            if (System.currentTimeMillis() < nextAttemptAt) {
                up = false;
                run.up = false;
                run.error = true;
                return;
            }
            try {
                connect();
                if (outageLogged) {
                    LOG.info("[{}] reconnected to {}", instance.id(), instance.jdbcUrl());
                }
                outageLogged = false;
                backoffMs = 0;
                lastError = null;
                lastSqlState = null;
            } catch (SQLException | RuntimeException e) {
                up = false;
                run.up = false;
                run.error = true;
                String state = sqlState(e);
                boolean newError = !java.util.Objects.equals(lastError, e.getMessage());
                lastError = e.getMessage();
                lastSqlState = state;
                backoffMs = backoffMs == 0 ? 1_000 : Math.min(backoffMs * 2, config.maxBackoff().toMillis());
                nextAttemptAt = System.currentTimeMillis() + backoffMs;
                if (!outageLogged || newError) {
                    LOG.warn("[{}] cannot connect to {} as {}: {} (SQLSTATE {}{}; retrying with backoff up to {} s)",
                            instance.id(), instance.jdbcUrl(), instance.user(), e.getMessage(), state,
                            describe(state), config.maxBackoff().toSeconds());
                    outageLogged = true;
                }
                countError("connect", state);
                SnapshotRow connectRow = healthRow("connect", 0, 0, true);
                connectRow.value("sqlstate", MetricCatalog.sqlStateCode(state));
                health.add(connectRow);
                return;
            }
        }
        boolean broken = false;
        try {
            readIdentity(lane.conn);
            run.identity = true;
        } catch (SQLException e) {
            countError("identity", sqlState(e));
            if (isConnectionError(e, lane.conn)) {
                broken = noteBroken(e, lane);
                probeErrors.put("identity", e.getMessage());
            } else {
                lane.warnOnce("identity", "cannot read the server identity: " + e.getMessage());
            }
        }
        if (!broken) {
            broken = runProbes(lane, groups, run, out, health);
        }
        if (broken) {
            LOG.warn("[{}] lost the connection to {} (SQLSTATE {}); reconnecting", instance.id(), instance.jdbcUrl(),
                    lastSqlState);
            outageLogged = true;
            lane.disconnect();
            backoffMs = 0;
            nextAttemptAt = 0;
            run.up = false;
        }
        up = !broken;
        lane.endCycle();
    }

    private void runSlow(Set<ProbeGroup> groups, Run run, List<Snapshot> out, List<SnapshotRow> health) {
        Lane lane = slow;
        if (lane.conn != null && !valid(lane.conn)) {
            lane.disconnect();
        }
        boolean broken = runProbes(lane, groups, run, out, health);
        if (broken) {
            LOG.warn("[{}] slow lane lost its connection to {} (SQLSTATE {})", instance.id(), instance.jdbcUrl(), lastSqlState);
            lane.disconnect();
            run.up = false;
        }
        lane.endCycle();
    }

    private void readIdentity(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(IDENTITY); ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                String id = rs.getString(1);
                boolean rec = rs.getBoolean(2);
                inRecovery = rs.wasNull() ? null : rec;
                int tl = rs.getInt(3);
                timelineId = rs.wasNull() ? null : tl;
                String before = systemIdentifier;
                if (before != null && id != null && !before.equals(id)) {
                    LOG.warn("[{}] server identity changed: system_identifier {} -> {} (a different server behind {})",
                            instance.id(), before, id, instance.jdbcUrl());
                }
                systemIdentifier = id;
            }
        }
    }

    /** Puts the identity on a server health row. */
    private void identity(SnapshotRow server) {
        String id = systemIdentifier;
        if (id != null) {
            long v = Long.parseUnsignedLong(id);
            server.value("system_identifier_high", (double) (v >>> 32));
            server.value("system_identifier_low", (double) (v & 0xFFFF_FFFFL));
        }
        Boolean rec = inRecovery;
        server.value("in_recovery", rec == null ? null : rec ? 1.0 : 0.0);
        Integer tl = timelineId;
        server.value("timeline_id", tl == null ? null : tl.doubleValue());
    }

    private boolean valid(Connection c) {
        try {
            return !c.isClosed() && c.isValid((int) Math.max(1, config.connectTimeout().toSeconds()));
        } catch (SQLException e) {
            return false;
        }
    }

    private static String describe(String state) {
        if (state == null) {
            return "";
        }
        return switch (state) {
            case "53300" -> ": too many connections; give the monitoring role pg_use_reserved_connections (16+)";
            case "57P03" -> ": the server is starting up or shutting down";
            case "28P01", "28000" -> ": authentication failed";
            case "3D000" -> ": no such database";
            case "42501" -> ": insufficient privilege";
            default -> state.startsWith("08") ? ": network / connection failure" : "";
        };
    }

    /**
     * Runs the lane's probes of {@code groups}: first those reading one view on the configured
     * database, in catalog order, then the per-database probes database by database (one
     * connection at a time). Stops at the lane's deadline and, for the per-database part, when a
     * database cannot be reached because the server cannot. Returns whether the lane's
     * connection to the configured database broke.
     */
    private boolean runProbes(Lane lane, Set<ProbeGroup> groups, Run run, List<Snapshot> out, List<SnapshotRow> health) {
        long start = clock.millis();
        long now = System.nanoTime();
        long budget = 0;
        for (ProbeGroup g : groups) {
            budget = Math.max(budget, Math.max(interval(g).toNanos(), config.statementTimeout().toNanos()));
        }
        lane.deadlineNanos = now + budget;
        lane.startedNanos = now;
        lane.cycleDatabases = null;
        lane.scratch.clear();
        List<Probe> single = new ArrayList<>();
        List<PerDatabaseProbe> perDb = new ArrayList<>();
        for (Probe p : probes) {
            if (!groups.contains(p.group()) || serverVersionNum < p.minServerVersion() || !p.enabledFor(lane)) {
                continue;
            }
            if (p instanceof PerDatabaseProbe pd) {
                perDb.add(pd);
            } else {
                single.add(p);
            }
        }
        Map<Probe, ProbeOutput> results = new LinkedHashMap<>();
        Map<Probe, String> errors = new LinkedHashMap<>();
        Map<Probe, String> states = new LinkedHashMap<>();
        Map<Probe, Double> millis = new LinkedHashMap<>();
        boolean broken = false;
        boolean overdue = false;
        for (Probe probe : single) {
            if (System.nanoTime() > lane.deadlineNanos) {
                overdue = true;
                break;
            }
            long p0 = System.nanoTime();
            try {
                results.put(probe, probe.collect(lane));
            } catch (PartialResultException e) {
                results.put(probe, e.partial());
                errors.put(probe, e.getMessage());
                states.put(probe, sqlState(e));
            } catch (UncheckedSql u) {
                errors.put(probe, u.sql().getMessage());
                states.put(probe, sqlState(u.sql()));
                broken = noteBroken(u.sql(), lane);
            } catch (SQLException e) {
                errors.put(probe, e.getMessage());
                states.put(probe, sqlState(e));
                broken = isConnectionError(e, lane.conn) && noteBroken(e, lane);
            } catch (RuntimeException e) {
                errors.put(probe, e.toString());
                LOG.error("[{}] probe {} failed", instance.id(), probe.name(), e);
            }
            millis.put(probe, (System.nanoTime() - p0) / 1e6);
            if (broken) {
                break;
            }
        }
        if (!broken && !overdue && !perDb.isEmpty()) {
            overdue = visitDatabases(lane, perDb, results, errors, states, millis);
        }
        if (overdue) {
            run.error = true;
            if (metrics != null) {
                for (ProbeGroup g : groups) {
                    metrics.runOverdue(instance.id(), g);
                }
            }
            LOG.warn("[{}] {} cycle passed its deadline ({} ms): the remaining probes and databases wait for the next cycle",
                    instance.id(), lane.name, TimeUnit.NANOSECONDS.toMillis(budget));
        }
        for (Probe probe : probes) {
            if (!millis.containsKey(probe)) {
                continue;
            }
            ProbeOutput result = results.get(probe);
            String error = errors.get(probe);
            int rows = 0;
            if (result != null && !result.isSkipped()) {
                out.add(snapshot(probe, result, start));
                rows = result.rows().size();
                run.rows += rows;
            }
            if (error != null) {
                run.error = true;
                countError(probe.name(), states.get(probe));
                probeErrors.put(probe.name(), error);
                LOG.warn("[{}] probe {} failed: {}", instance.id(), probe.name(), error);
            } else {
                probeErrors.remove(probe.name());
            }
            health.add(healthRow(probe.name(), millis.get(probe), rows, error != null));
        }
        return broken;
    }

    /** Records a lane's broken connection; always true. */
    private boolean noteBroken(SQLException e, Lane lane) {
        lastError = e.getMessage();
        lastSqlState = sqlState(e);
        return true;
    }

    /**
     * The per-database probes, database by database on the lane's one connection. Returns whether
     * the deadline stopped the visit.
     */
    private boolean visitDatabases(Lane lane, List<PerDatabaseProbe> perDb, Map<Probe, ProbeOutput> results,
            Map<Probe, String> errors, Map<Probe, String> states, Map<Probe, Double> millis) {
        Map<Probe, List<SnapshotRow>> rows = new LinkedHashMap<>();
        Map<Probe, SQLException> first = new LinkedHashMap<>();
        for (PerDatabaseProbe p : perDb) {
            rows.put(p, new ArrayList<>());
            millis.put(p, 0.0);
        }
        boolean overdue = false;
        List<String> dbs;
        try {
            dbs = lane.databases();
        } catch (SQLException e) {
            for (PerDatabaseProbe p : perDb) {
                errors.put(p, e.getMessage());
                states.put(p, sqlState(e));
            }
            return false;
        }
        visit:
        for (String db : dbs) {
            for (PerDatabaseProbe p : perDb) {
                if (System.nanoTime() > lane.deadlineNanos) {
                    overdue = true;
                    break visit;
                }
                long p0 = System.nanoTime();
                try {
                    rows.get(p).addAll(p.collectIn(lane, db));
                } catch (SQLException e) {
                    first.putIfAbsent(p, new SQLException("database " + db + ": " + e.getMessage(), null, e));
                    boolean gone = lane.conn == null || !db.equals(lane.connDb);
                    if (gone && isServerUnreachable(e)) {
                        // could not even connect: the server is unreachable, the other databases would fail the same way
                        millis.merge(p, (System.nanoTime() - p0) / 1e6, Double::sum);
                        break visit;
                    }
                    if (isConnectionError(e, lane.conn)) {
                        lane.disconnect();
                    }
                } catch (RuntimeException e) {
                    first.putIfAbsent(p, new SQLException("database " + db + ": " + e, null, e));
                    LOG.error("[{}] probe {} failed in {}", instance.id(), p.name(), db, e);
                }
                millis.merge(p, (System.nanoTime() - p0) / 1e6, Double::sum);
            }
        }
        for (PerDatabaseProbe p : perDb) {
            results.put(p, ProbeOutput.of(rows.get(p)));
            SQLException e = first.get(p);
            if (e != null) {
                errors.put(p, e.getMessage());
                states.put(p, sqlState(e));
            }
        }
        return overdue;
    }

    private Snapshot snapshot(Probe probe, ProbeOutput r, long collectedAt) {
        Snapshot s;
        if (r.plans() != null) {
            s = r.plans();
        } else if (MetricCatalog.view(probe.view()).kind() == SnapshotKind.STATEMENTS) {
            StatementsSnapshot st = new StatementsSnapshot();
            st.setExtensionVersion(r.extensionVersion());
            st.setTexts(new ArrayList<>(r.texts()));
            s = st;
        } else {
            s = new MetricsSnapshot();
        }
        fill(s, probe.view(), collectedAt);
        s.setStatsReset(r.statsReset());
        s.setRows(new ArrayList<>(r.rows()));
        return s;
    }

    private void fill(Snapshot s, String view, long collectedAt) {
        s.setInstance(instance.id());
        // A server never reached has no version yet: health snapshots carry 0 (the wire format's
        // "unknown") until the first connection; after that, the last known version, also while
        // the server is down.
        s.setServerVersionNum(serverVersionNum > 0 ? serverVersionNum : UNKNOWN_VERSION);
        s.setCollectedAt(collectedAt);
        s.setView(view);
        s.setLabels(new LinkedHashMap<>(instance.labels()));
    }

    private static SnapshotRow healthRow(String probe, double ms, int rows, boolean error) {
        SnapshotRow r = ResultRows.empty(ResultRows.def(MetricCatalog.COLLECTOR_VIEW));
        r.label("probe", probe);
        r.value("duration_ms", ms);
        r.value("rows", (double) rows);
        r.value("error", error ? 1.0 : 0.0);
        return r;
    }

    /** {@code at}, or 1 ms after the previous health snapshot of this instance if that is not earlier. */
    private long healthStamp(long at) {
        return lastHealthAt.accumulateAndGet(at, (prev, now) -> Math.max(now, prev + 1));
    }

    private Snapshot healthSnapshot(long start, Run run, long t0, List<SnapshotRow> probeRows) {
        SnapshotRow server = healthRow("", (System.nanoTime() - t0) / 1e6, run.rows, run.error);
        server.value("up", run.up ? 1.0 : 0.0);
        server.value("stale", 0.0);
        server.value("sqlstate", MetricCatalog.sqlStateCode(run.up ? null : lastSqlState));
        if (run.up && run.identity) {
            identity(server);
        }
        MetricsSnapshot s = new MetricsSnapshot();
        fill(s, MetricCatalog.COLLECTOR_VIEW, healthStamp(start));
        List<SnapshotRow> all = new ArrayList<>();
        all.add(server);
        all.addAll(probeRows);
        s.setRows(all);
        return s;
    }

    @Override
    public void close() {
        for (Lane l : List.of(fast, slow)) {
            Connection c = l.conn;
            if (c != null && !l.lock.tryLock()) {
                // a run is still going: abort its connection rather than wait for it
                try {
                    c.abort(Runnable::run);
                } catch (SQLException | RuntimeException e) {
                    closeQuietly(c);
                }
                continue;
            }
            if (c != null) {
                try {
                    l.disconnect();
                } finally {
                    l.lock.unlock();
                }
            }
        }
    }
}
