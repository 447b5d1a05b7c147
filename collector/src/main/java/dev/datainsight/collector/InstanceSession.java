package dev.datainsight.collector;

import dev.datainsight.collector.probe.PartialResultException;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitored server: its connections (the configured database plus one per visited database),
 * its version, what it has already sent, and its reconnect backoff. All collection for the
 * instance goes through {@link #collect}, which is serialised per instance.
 */
final class InstanceSession implements ProbeContext, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSession.class);
    static final String APPLICATION_NAME = dev.datainsight.collector.probe.Probes.APPLICATION_NAME;
    private static final int MAX_SEEN_QUERY_IDS = 100_000;
    /** server_version_num sent in health snapshots before the first successful connection (wire: 0 = unknown). */
    static final int UNKNOWN_VERSION = 0;

    private static final String HELLO = SqlVariants.tag("connect", """
            SELECT pg_catalog.current_setting('server_version_num')::int,
              r.rolsuper, pg_catalog.pg_has_role(r.oid, 'pg_monitor', 'USAGE')
            FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER""");
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
    // Query ids whose text reached Kafka (added on the broker's ack, from the producer's thread).
    private final Set<String> seen = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > MAX_SEEN_QUERY_IDS;
        }
    }));
    private final Set<String> warned = new HashSet<>();
    private final Map<Class<?>, Object> probeState = new HashMap<>();
    private final Map<String, Connection> dbConnections = new LinkedHashMap<>();
    private final Map<String, String> probeErrors = new ConcurrentHashMap<>();

    private Connection conn;
    private int serverVersionNum;
    private List<String> cycleDatabases;
    /** Per-cycle scratch shared by the probes of one cycle (cleared when a cycle starts). */
    private final Map<String, Object> cycleScratch = new java.util.HashMap<>();
    private long nextAttemptAt;
    private long backoffMs;
    private volatile String lastError;
    private volatile boolean up;
    private volatile long cycles;
    private boolean outageLogged;

    InstanceSession(FleetConfig.Instance instance, FleetConfig config, List<Probe> probes, Clock clock) {
        this.instance = instance;
        this.config = config;
        this.probes = probes;
        this.clock = clock;
    }

    FleetConfig.Instance instance() {
        return instance;
    }

    InstanceStatus status() {
        return new InstanceStatus(instance.id(), up, serverVersionNum, lastError, Map.copyOf(probeErrors), cycles);
    }

    // ------------------------------------------------------------------------- ProbeContext

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
        return conn;
    }

    @Override
    public ProbeLimits limits() {
        return config.limits();
    }

    @Override
    public dev.datainsight.collector.probe.SessionLimits sessionLimits() {
        return config.sessionLimits();
    }

    @Override
    public Map<String, Object> cycleScratch() {
        return cycleScratch;
    }

    @Override
    public List<String> databases() throws SQLException {
        if (cycleDatabases == null) {
            List<String> l = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement(DATABASES)) {
                ps.setInt(1, config.limits().maxDatabases());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        l.add(rs.getString(1));
                    }
                }
            }
            cycleDatabases = l;
            // Connections to databases that dropped out of the list are closed.
            for (Iterator<Map.Entry<String, Connection>> it = dbConnections.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Connection> e = it.next();
                if (!l.contains(e.getKey())) {
                    closeQuietly(e.getValue());
                    it.remove();
                }
            }
        }
        return cycleDatabases;
    }

    @Override
    public Connection connection(String database) throws SQLException {
        if (database.equals(instance.database())) {
            return conn;
        }
        Connection c = dbConnections.get(database);
        if (c != null && c.isClosed()) {
            dbConnections.remove(database);
            c = null;
        }
        if (c == null) {
            c = open(database);
            dbConnections.put(database, c);
        }
        return c;
    }

    @Override
    public Set<String> seenQueryIds() {
        return seen;
    }

    /** A snapshot of this session was delivered: its query texts count as sent. */
    void delivered(Snapshot s) {
        if (s instanceof StatementsSnapshot st && st.getTexts() != null) {
            for (var t : st.getTexts()) {
                seen.add(t.queryid());
            }
        }
    }

    @Override
    public <T> T state(Class<T> type, java.util.function.Supplier<T> create) {
        return type.cast(probeState.computeIfAbsent(type, k -> create.get()));
    }

    @Override
    public void warnOnce(String key, String message) {
        if (warned.add(key)) {
            LOG.warn("[{}] {}", instance.id(), message);
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
        conn = c;
    }

    private void disconnect() {
        closeQuietly(conn);
        conn = null;
        dbConnections.values().forEach(InstanceSession::closeQuietly);
        dbConnections.clear();
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

    // ------------------------------------------------------------------------- collection

    /** Runs the probes of the given groups once; never throws for database problems. */
    synchronized List<Snapshot> collect(Set<ProbeGroup> groups) {
        long start = clock.millis();
        long t0 = System.nanoTime();
        cycles++;
        List<Snapshot> out = new ArrayList<>();
        List<SnapshotRow> health = new ArrayList<>();
        if (conn == null) {
            if (System.currentTimeMillis() < nextAttemptAt) {
                up = false;
                if (groups.contains(ProbeGroup.FAST)) {
                    out.add(healthSnapshot(start, false, t0, 0, true, health));
                }
                return out;
            }
            try {
                connect();
                if (outageLogged) {
                    LOG.info("[{}] reconnected to {}", instance.id(), instance.jdbcUrl());
                }
                outageLogged = false;
                backoffMs = 0;
                lastError = null;
            } catch (SQLException | RuntimeException e) {
                up = false;
                boolean newError = !java.util.Objects.equals(lastError, e.getMessage());
                lastError = e.getMessage();
                backoffMs = backoffMs == 0 ? 1_000 : Math.min(backoffMs * 2, config.maxBackoff().toMillis());
                nextAttemptAt = System.currentTimeMillis() + backoffMs;
                if (!outageLogged || newError) {
                    LOG.warn("[{}] cannot connect to {} as {}: {} (retrying with backoff up to {} s)", instance.id(),
                            instance.jdbcUrl(), instance.user(), e.getMessage(), config.maxBackoff().toSeconds());
                    outageLogged = true;
                }
                health.add(healthRow("connect", 0, 0, true));
                out.add(healthSnapshot(start, false, t0, 0, true, health));
                return out;
            }
        }
        cycleDatabases = null;
        cycleScratch.clear();
        int totalRows = 0;
        boolean anyError = false;
        boolean broken = false;
        for (Probe probe : probes) {
            if (!groups.contains(probe.group()) || serverVersionNum < probe.minServerVersion()) {
                continue;
            }
            long p0 = System.nanoTime();
            ProbeOutput result = null;
            String error = null;
            try {
                result = probe.collect(this);
            } catch (PartialResultException e) {
                result = e.partial();
                error = e.getMessage();
            } catch (SQLException e) {
                error = e.getMessage();
                if (isConnectionError(e, conn)) {
                    broken = true;
                }
            } catch (RuntimeException e) {
                error = e.toString();
                LOG.error("[{}] probe {} failed", instance.id(), probe.name(), e);
            }
            double ms = (System.nanoTime() - p0) / 1e6;
            int rows = 0;
            if (result != null && !result.isSkipped()) {
                out.add(snapshot(probe, result, start));
                rows = result.rows().size();
                totalRows += rows;
            }
            if (error != null) {
                anyError = true;
                probeErrors.put(probe.name(), error);
                LOG.warn("[{}] probe {} failed: {}", instance.id(), probe.name(), error);
            } else {
                probeErrors.remove(probe.name());
            }
            health.add(healthRow(probe.name(), ms, rows, error != null));
            if (broken) {
                break;
            }
        }
        if (broken) {
            LOG.warn("[{}] lost the connection to {}; reconnecting", instance.id(), instance.jdbcUrl());
            outageLogged = true;
            lastError = probeErrors.values().stream().findFirst().orElse("connection lost");
            disconnect();
            backoffMs = 0;
            nextAttemptAt = 0;
        }
        up = !broken;
        out.add(healthSnapshot(start, up, t0, totalRows, anyError, health));
        return out;
    }

    private Snapshot snapshot(Probe probe, ProbeOutput r, long collectedAt) {
        Snapshot s;
        if (MetricCatalog.view(probe.view()).kind() == SnapshotKind.STATEMENTS) {
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
        // A server never reached has no version yet; the wire format requires a plausible one, so
        // health snapshots carry the oldest supported version until the first connection (after
        // that, the last known version, also while the server is down).
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

    private Snapshot healthSnapshot(long start, boolean isUp, long t0, int rows, boolean error, List<SnapshotRow> probeRows) {
        SnapshotRow server = healthRow("", (System.nanoTime() - t0) / 1e6, rows, error);
        server.value("up", isUp ? 1.0 : 0.0);
        MetricsSnapshot s = new MetricsSnapshot();
        fill(s, MetricCatalog.COLLECTOR_VIEW, start);
        List<SnapshotRow> all = new ArrayList<>();
        all.add(server);
        all.addAll(probeRows);
        s.setRows(all);
        return s;
    }

    @Override
    public synchronized void close() {
        disconnect();
    }
}
