package dev.datainsight.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates partitions ahead of time, moves rows that landed in a table's DEFAULT partition into
 * the dated partition they belong to, archives (optionally) and drops whole partitions past
 * retention (never DELETE), ANALYZEs the parents, and records the outcome per table in
 * {@code store_health}. Every action is logged and returned in the {@link Report}.
 *
 * <p><b>Safe while writers write.</b> Writers (the job's sinks) lock a parent in ROW EXCLUSIVE
 * mode and then the partitions rows are routed to. Maintenance takes its locks in the same order
 * and never waits long while holding one:
 * <ul>
 *   <li>a new partition is built beside the parent: {@code LOCK parent IN SHARE ROW EXCLUSIVE}
 *       (waits at most {@code lock_timeout} for running write transactions; readers go on), then
 *       the default partition in ACCESS EXCLUSIVE with a 200 ms timeout, a plain table
 *       {@code LIKE parent}, the default's rows of that range moved into it in one
 *       {@code DELETE ... RETURNING}, and {@code ATTACH PARTITION}. No writer can slip a row
 *       of the range into the default between the move and the attach (the SHARE ROW EXCLUSIVE
 *       lock excludes them), and writers wait only for the length of that transaction.</li>
 *   <li>a partition past retention is dropped (or detached, archived, verified, then dropped)
 *       after {@code LOCK parent IN ACCESS EXCLUSIVE}, taken before the partition's own lock.</li>
 * </ul>
 * A lock not obtained in time (55P03) or a deadlock (40P01) rolls the step back and retries it
 * up to five times with backoff; the lock timeout (800 ms) is shorter than PostgreSQL's
 * {@code deadlock_timeout} default (1 s), so were a lock cycle ever to form it is maintenance
 * that gives up first, not a writer. An error
 * on one table is reported for that table and the others are still maintained (creation and
 * retention separately).
 *
 * <p><b>Ownership.</b> The connection does {@code SET ROLE datainsight_owner} (migration V9):
 * every partition belongs to that role whoever's login created it, so any member can drop it.
 * The login must be a member of datainsight_owner; never the writer.
 *
 * <p>Time comes from an injected {@link Clock}, so tests move through months without waiting.
 * Partitions are named {@code <table>_pYYYYMMDD} (daily) or {@code <table>_pYYYYMM} (monthly),
 * ranges in UTC; partitions with other names are never touched. Runs hold a session advisory
 * lock, so two maintainers never collide.
 */
public final class PartitionMaintenance {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionMaintenance.class);
    private static final long LOCK_KEY = 0x44415441494E5349L; // "DATAINSI"
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM");
    /** Role that owns the store's objects (migration V9). */
    public static final String OWNER_ROLE = "datainsight_owner";
    static final int ATTEMPTS = 5;
    /** How long one step waits for a lock: below deadlock_timeout's default of 1 s. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMillis(800);
    /** Counted exactly up to this many rows per default partition; more is reported as this. */
    static final long DEFAULT_ROWS_CAP = 1_000_000;

    private final String url;
    private final String user;
    private final String password;
    private final List<PartitionPolicy> policies;
    private final Clock clock;
    private final Duration lockTimeout;

    /**
     * Health of one table after a run, as written to {@code store_health}.
     *
     * @param table partitioned table
     * @param status ok, warning (rows left in the default partition, fewer partitions ahead
     *     than wanted) or critical (an error, or no partition for the current period)
     * @param defaultRows rows left in the default partition (capped at 1,000,000)
     * @param partitionsAhead consecutive periods after the current one that have a partition;
     *     -1 when the current period has none
     * @param aheadWanted the policy's {@code ahead}
     * @param error what failed on this table, or null
     */
    public record TableHealth(String table, String status, long defaultRows, int partitionsAhead, int aheadWanted, String error) {
        public boolean ok() {
            return "ok".equals(status);
        }
    }

    /**
     * What one run did.
     *
     * @param created partitions created, in order
     * @param dropped partitions dropped, in order
     * @param movedRows rows moved out of default partitions (per partition created for them)
     * @param skipped true when another maintenance run held the lock and nothing was done
     * @param archived archive directories written before drops, in order
     * @param health one entry per table, in policy order, then one for the garbage collection
     *     of series ({@code series}); empty when skipped
     * @param collected rows deleted by the garbage collection, per table (series, statement_text,
     *     instance, insight); only tables with deletions
     */
    public record Report(List<String> created, List<String> dropped, TreeMap<String, Long> movedRows, boolean skipped,
            List<String> archived, List<TableHealth> health, TreeMap<String, Long> collected) {
        /** True when every table is healthy (nothing failed, defaults empty, partitions ahead in place). */
        public boolean ok() {
            return health.stream().allMatch(TableHealth::ok);
        }

        /** Lines a person reads: one per action, then one per table that is not ok. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            if (skipped) {
                out.add("skipped: another maintenance run holds the lock");
            }
            for (String c : created) {
                Long moved = movedRows.get(c);
                out.add("created " + c + (moved != null && moved > 0 ? " (moved " + moved + " rows from the default partition)" : ""));
            }
            for (String a : archived) {
                out.add("archived to " + a);
            }
            for (String d : dropped) {
                out.add("dropped " + d);
            }
            collected.forEach((t, n) -> out.add("deleted " + n + " rows of " + t + " that no rollup left in retention refers to"));
            for (TableHealth h : health) {
                if (!h.ok()) {
                    out.add(h.status() + " " + h.table() + ": " + (h.error() != null ? h.error() + "; " : "")
                            + h.defaultRows() + " rows in the default partition, " + h.partitionsAhead() + " of "
                            + h.aheadWanted() + " partitions ahead");
                }
            }
            if (out.isEmpty()) {
                out.add("nothing to do");
            }
            return out;
        }
    }

    public PartitionMaintenance(String url, String user, String password, List<PartitionPolicy> policies, Clock clock,
            Duration lockTimeout) {
        this.url = Objects.requireNonNull(url, "url");
        this.user = user;
        this.password = password;
        this.policies = List.copyOf(policies);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lockTimeout = Objects.requireNonNull(lockTimeout, "lockTimeout");
    }

    public PartitionMaintenance(String url, String user, String password, List<PartitionPolicy> policies, Clock clock) {
        this(url, user, password, policies, clock, DEFAULT_LOCK_TIMEOUT);
    }

    /** Maintenance with the default policies and the system clock. */
    public PartitionMaintenance(String url, String user, String password) {
        this(url, user, password, PartitionPolicy.defaults(), Clock.systemUTC());
    }

    public List<PartitionPolicy> policies() {
        return policies;
    }

    /** Runs once over every table; opens and closes its own connection. */
    public Report run() throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("ApplicationName", "datainsight-maintenance");
        try (Connection c = DriverManager.getConnection(url, p)) {
            return run(c);
        }
    }

    /** Runs once over every table on a connection the caller owns (left in auto-commit, role reset). */
    public Report run(Connection c) throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '" + lockTimeout.toMillis() + "ms'");
            try {
                st.execute("SET ROLE " + OWNER_ROLE);
            } catch (SQLException e) {
                throw new SQLException("cannot SET ROLE " + OWNER_ROLE + " (" + e.getMessage().strip() + "): run 'datainsight migrate'"
                        + " first and make the maintenance login a member (GRANT " + OWNER_ROLE + " TO <login>)", e.getSQLState(), e);
            }
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('store_health') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    st.execute("RESET ROLE");
                    throw new SQLException("the store is not migrated (no store_health table): run 'datainsight migrate' first", "42P01");
                }
            }
        }
        try {
            if (!advisoryLock(c, "pg_try_advisory_lock")) {
                LOG.info("partition maintenance skipped: another run holds the lock");
                return new Report(List.of(), List.of(), new TreeMap<>(), true, List.of(), List.of(), new TreeMap<>());
            }
            List<String> created = new ArrayList<>();
            List<String> dropped = new ArrayList<>();
            List<String> archived = new ArrayList<>();
            List<TableHealth> health = new ArrayList<>();
            TreeMap<String, Long> moved = new TreeMap<>();
            TreeMap<String, Long> collected = new TreeMap<>();
            try {
                Instant now = clock.instant();
                for (PartitionPolicy policy : policies) {
                    health.add(maintain(c, policy, now, created, dropped, archived, moved));
                }
                health.add(collectGarbage(c, now, collected));
                try {
                    rollStatementDays(c, now);
                } catch (SQLException e) {
                    // Like a table's failure: reported, and the rest of the run already happened.
                    LOG.error("rolling statement days into statement_rollup_1d failed (SQLSTATE {}): {}", e.getSQLState(),
                            e.getMessage());
                }
            } finally {
                advisoryLock(c, "pg_advisory_unlock");
            }
            return new Report(List.copyOf(created), List.copyOf(dropped), moved, false, List.copyOf(archived), List.copyOf(health),
                    collected);
        } finally {
            try (Statement st = c.createStatement()) {
                st.execute("RESET ROLE");
            }
        }
    }

    /**
     * Rolls the closed UTC days of the hourly statement rollups into {@code statement_rollup_1d}
     * (V7's {@code statement_rollup_1d_refresh}: the day before the last rolled one again, for late
     * rows, then every day up to the one of {@code now}); nothing on a store without it.
     */
    private static void rollStatementDays(Connection c, Instant now) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_catalog.to_regproc('statement_rollup_1d_refresh') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT statement_rollup_1d_refresh(NULL, ?)")) {
            ps.setObject(1, now.atOffset(ZoneOffset.UTC));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                LOG.info("rolled {} statement-days into statement_rollup_1d", rs.getLong(1));
            }
        }
    }

    private static boolean advisoryLock(Connection c, String fn) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + fn + "(?)")) {
            ps.setLong(1, LOCK_KEY);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** One table: creation, retention, ANALYZE and the health row, each step's failure recorded, none stopping the next. */
    private TableHealth maintain(Connection c, PartitionPolicy policy, Instant now, List<String> created, List<String> dropped,
            List<String> archived, TreeMap<String, Long> moved) {
        String table = policy.table();
        List<String> errors = new ArrayList<>();
        TreeSet<LocalDate> existing = new TreeSet<>();
        String defaultPartition = null;
        String keyColumn = null;
        try {
            keyColumn = partitionKey(c, table);
            defaultPartition = listPartitions(c, policy, existing);
        } catch (SQLException e) {
            errors.add(e.getMessage());
        }
        LocalDate current = floor(policy, now);
        if (keyColumn != null) {
            try {
                createWanted(c, policy, keyColumn, defaultPartition, current, existing, created, moved);
            } catch (SQLException e) {
                errors.add("creating partitions: " + e.getMessage());
            }
            try {
                applyRetention(c, policy, now, existing, dropped, archived);
            } catch (SQLException | IOException e) {
                errors.add("retention: " + e.getMessage());
            }
            try (Statement st = c.createStatement()) {
                // Autovacuum analyzes partitions but never a partitioned parent, whose statistics
                // the planner uses for joins and aggregates over the whole table.
                retrying(c, "ANALYZE " + table, () -> st.execute("ANALYZE " + q(table)));
            } catch (SQLException e) {
                errors.add("analyze: " + e.getMessage());
            }
        }
        long defaultRows = 0;
        if (defaultPartition != null) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM (SELECT 1 FROM "
                    + q(defaultPartition) + " LIMIT " + DEFAULT_ROWS_CAP + ") d")) {
                rs.next();
                defaultRows = rs.getLong(1);
            } catch (SQLException e) {
                errors.add("counting default rows: " + e.getMessage());
            }
        }
        int ahead = -1;
        if (existing.contains(current)) {
            ahead = 0;
            while (existing.contains(plus(policy, current, ahead + 1))) {
                ahead++;
            }
        }
        String error = errors.isEmpty() ? null : String.join("; ", errors);
        String status = error != null || ahead < 0 ? "critical"
                : defaultRows > 0 || ahead < policy.ahead() ? "warning" : "ok";
        if (error != null) {
            LOG.error("partition maintenance of {} failed: {}", table, error);
        } else if (!"ok".equals(status)) {
            LOG.warn("partition maintenance of {}: {} rows in the default partition, {} of {} partitions ahead", table, defaultRows,
                    ahead, policy.ahead());
        }
        TableHealth h = new TableHealth(table, status, defaultRows, ahead, policy.ahead(), error);
        writeHealth(c, h);
        return h;
    }

    private static String listPartitions(Connection c, PartitionPolicy policy, TreeSet<LocalDate> existing) throws SQLException {
        String defaultPartition = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid)"
                + " FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
                + " WHERE i.inhparent = ?::regclass")) {
            ps.setString(1, policy.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    if ("DEFAULT".equals(rs.getString(2))) {
                        defaultPartition = name;
                    } else {
                        LocalDate start = parseName(policy, name);
                        if (start != null) {
                            existing.add(start);
                        }
                    }
                }
            }
        }
        return defaultPartition;
    }

    /** The current partition and {@code ahead} after it, plus one for every period with rows waiting in the default. */
    private void createWanted(Connection c, PartitionPolicy policy, String keyColumn, String defaultPartition, LocalDate current,
            TreeSet<LocalDate> existing, List<String> created, TreeMap<String, Long> moved) throws SQLException {
        String table = policy.table();
        TreeSet<LocalDate> wanted = new TreeSet<>();
        for (int i = 0; i <= policy.ahead(); i++) {
            wanted.add(plus(policy, current, i));
        }
        if (defaultPartition != null) {
            String unit = policy.width() == PartitionPolicy.Width.DAY ? "day" : "month";
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT DISTINCT (date_trunc('" + unit + "', " + q(keyColumn)
                            + " AT TIME ZONE 'UTC'))::date FROM " + q(defaultPartition))) {
                while (rs.next()) {
                    wanted.add(rs.getObject(1, LocalDate.class));
                }
            }
        }
        List<String> failures = new ArrayList<>();
        for (LocalDate start : wanted) {
            if (existing.contains(start)) {
                continue;
            }
            String name = partitionName(policy, start);
            LocalDate end = plus(policy, start, 1);
            try {
                long n = retrying(c, "creating " + name,
                        () -> createMovingFromDefault(c, table, keyColumn, defaultPartition, name, start, end));
                if (n > 0) {
                    LOG.info("created partition {} [{} .. {}) and moved {} rows into it from {}", name, start, end, n, defaultPartition);
                } else {
                    LOG.info("created partition {} [{} .. {})", name, start, end);
                }
                moved.put(name, n);
                existing.add(start);
                created.add(name);
            } catch (SQLException e) {
                // The others are still tried: a partition that cannot be made now leaves its rows
                // in the default partition until the next run.
                failures.add(name + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new SQLException(String.join("; ", failures));
        }
    }

    /**
     * Builds the partition beside the parent and attaches it, in one transaction that holds the
     * writers off (SHARE ROW EXCLUSIVE on the parent) only while the default's rows of the range
     * move over. Returns how many moved.
     */
    private long createMovingFromDefault(Connection c, String table, String keyColumn, String defaultPartition, String name,
            LocalDate start, LocalDate end) throws SQLException {
        String bounds = " FOR VALUES FROM ('" + start + " 00:00:00+00') TO ('" + end + " 00:00:00+00')";
        String range = q(keyColumn) + " >= '" + start + " 00:00:00+00' AND " + q(keyColumn) + " < '" + end + " 00:00:00+00'";
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("LOCK TABLE " + q(table) + " IN SHARE ROW EXCLUSIVE MODE");
            long n = 0;
            if (defaultPartition != null) {
                // Readers of the parent may hold the default; wait for them only briefly while the
                // writers are held off, then retry the whole step.
                st.execute("SET LOCAL lock_timeout = '200ms'");
                st.execute("LOCK TABLE " + q(defaultPartition) + " IN ACCESS EXCLUSIVE MODE");
            }
            st.execute("CREATE TABLE " + q(name) + " (LIKE " + q(table) + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
            if (defaultPartition != null) {
                n = st.executeUpdate("WITH moved AS (DELETE FROM " + q(defaultPartition) + " WHERE " + range + " RETURNING *)"
                        + " INSERT INTO " + q(name) + " SELECT * FROM moved");
            }
            // Builds the partition's share of the parent's indexes and checks that the default
            // holds nothing of the range any more.
            st.execute("ALTER TABLE " + q(table) + " ATTACH PARTITION " + q(name) + bounds);
            c.commit();
            return n;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Drops (or archives, then drops) every partition whose whole range is older than now - retention. */
    private void applyRetention(Connection c, PartitionPolicy policy, Instant now, TreeSet<LocalDate> existing,
            List<String> dropped, List<String> archived) throws SQLException, IOException {
        String table = policy.table();
        Instant cutoff = now.minus(policy.retention());
        List<String> failures = new ArrayList<>();
        for (LocalDate start : List.copyOf(existing)) {
            LocalDate endDate = plus(policy, start, 1);
            Instant end = endDate.atStartOfDay(ZoneOffset.UTC).toInstant();
            if (end.isAfter(cutoff)) {
                continue;
            }
            String name = partitionName(policy, start);
            try {
                if (policy.archiveDir() != null) {
                    // Detached first (short lock on the parent), then exported and verified with
                    // no lock on the parent at all, then dropped. A failed export leaves the
                    // detached table in place; the next run finds it detached and tries again.
                    retrying(c, "detaching " + name, () -> ddlUnderParentLock(c, table,
                            "ALTER TABLE " + q(table) + " DETACH PARTITION " + q(name)));
                    String dir = PartitionArchive.export(c, table, name, start, endDate, policy.archiveDir()).toString();
                    try (Statement st = c.createStatement()) {
                        st.execute("DROP TABLE " + q(name));
                    }
                    archived.add(dir);
                    LOG.info("archived partition {} [{} .. {}) to {}", name, start, endDate, dir);
                } else {
                    retrying(c, "dropping " + name, () -> ddlUnderParentLock(c, table, "DROP TABLE " + q(name)));
                }
                existing.remove(start);
                LOG.info("dropped partition {} [{} .. {}): older than the {} retention of {} (cutoff {})", name, start, endDate,
                        policy.retention(), table, cutoff);
                dropped.add(name);
            } catch (SQLException | IOException e) {
                failures.add(name + ": " + e.getMessage());
            }
        }
        if (policy.archiveDir() != null) {
            archiveDetachedLeftovers(c, policy, archived, dropped, failures);
        }
        if (!failures.isEmpty()) {
            throw new SQLException(String.join("; ", failures));
        }
    }

    /** Tables named like partitions of this policy but no longer attached: a previous run detached them and failed to archive. */
    private void archiveDetachedLeftovers(Connection c, PartitionPolicy policy, List<String> archived, List<String> dropped,
            List<String> failures) throws SQLException {
        List<String> leftovers = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_catalog.pg_class c"
                + " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND NOT c.relispartition"
                + " AND c.relname LIKE ? ESCAPE '\\'")) {
            ps.setString(1, policy.table().replace("_", "\\_") + "\\_p%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (parseName(policy, rs.getString(1)) != null) {
                        leftovers.add(rs.getString(1));
                    }
                }
            }
        }
        for (String name : leftovers) {
            LocalDate start = parseName(policy, name);
            try {
                String dir = PartitionArchive.export(c, policy.table(), name, start, plus(policy, start, 1), policy.archiveDir()).toString();
                try (Statement st = c.createStatement()) {
                    st.execute("DROP TABLE " + q(name));
                }
                archived.add(dir);
                dropped.add(name);
                LOG.info("archived detached partition {} to {} and dropped it", name, dir);
            } catch (SQLException | IOException e) {
                failures.add(name + ": " + e.getMessage());
            }
        }
    }

    /** Runs one DDL statement in a transaction that first locks the parent, so locks are taken parent first, like writers do. */
    private static long ddlUnderParentLock(Connection c, String table, String ddl) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("LOCK TABLE " + q(table) + " IN ACCESS EXCLUSIVE MODE");
            st.execute(ddl);
            c.commit();
            return 0;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    @FunctionalInterface
    private interface Step {
        Object run() throws SQLException;
    }

    /** Retries a step that lost a lock race (lock_timeout, deadlock, serialization) with backoff; other errors go straight up. */
    private static long retrying(Connection c, String what, Step step) throws SQLException {
        SQLException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                Object r = step.run();
                return r instanceof Long l ? l : 0;
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (!"55P03".equals(state) && !"40P01".equals(state) && !"40001".equals(state)) {
                    throw e;
                }
                last = e;
                if (attempt == ATTEMPTS) {
                    break;
                }
                LOG.info("{}: {} (attempt {} of {}), retrying", what, e.getMessage().strip(), attempt, ATTEMPTS);
                try {
                    Thread.sleep(100L << attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new SQLException(what + " interrupted", state, e);
                }
            }
        }
        throw new SQLException(what + ": gave up after " + ATTEMPTS + " attempts: " + last.getMessage(), last.getSQLState(), last);
    }

    /** Rows deleted per garbage-collection statement, so that no transaction holds many row locks for long. */
    static final int GC_BATCH = 10_000;

    /**
     * Deletes what no rollup left in retention refers to any more, after retention has run:
     * <ul>
     *   <li>{@code series} first seen before the longest metric-rollup retention with no row in
     *       metric_rollup_1d, _1h or _1m (the 1d check first: an active series has 1d rows);</li>
     *   <li>{@code statement_text} last seen before the statement-rollup retention with no row
     *       in statement_rollup_1h;</li>
     *   <li>{@code instance} last seen before the longest retention of all with no series,
     *       statement text or alert event left, and that instance's {@code insight} rows.</li>
     * </ul>
     * The series table has no {@code last_seen}; "no rollup left" is the exact form of "not seen
     * within retention", and {@code first_seen} keeps a series that was just registered (whose
     * rollups may still be in flight) out of reach. Reported as the {@code series} row of
     * {@code store_health}.
     */
    private TableHealth collectGarbage(Connection c, Instant now, TreeMap<String, Long> collected) {
        Duration metrics = Duration.ZERO;
        Duration statements = Duration.ZERO;
        Duration alerts = Duration.ZERO;
        Duration longest = Duration.ZERO;
        for (PartitionPolicy p : policies) {
            if (p.table().startsWith("metric_rollup_") && p.retention().compareTo(metrics) > 0) {
                metrics = p.retention();
            }
            if (p.table().equals("statement_rollup_1h")) {
                statements = p.retention();
            }
            if (p.table().equals("alert_event")) {
                alerts = p.retention();
            }
            if (p.retention().compareTo(longest) > 0) {
                longest = p.retention();
            }
        }
        List<String> errors = new ArrayList<>();
        if (!metrics.isZero()) {
            gc(c, "series", "DELETE FROM series WHERE id IN (SELECT s.id FROM series s WHERE s.first_seen < ?"
                    + " AND NOT EXISTS (SELECT 1 FROM metric_rollup_1d r WHERE r.series_id = s.id)"
                    + " AND NOT EXISTS (SELECT 1 FROM metric_rollup_1h r WHERE r.series_id = s.id)"
                    + " AND NOT EXISTS (SELECT 1 FROM metric_rollup_1m r WHERE r.series_id = s.id) LIMIT " + GC_BATCH + ")",
                    now.minus(metrics), collected, errors);
            // series_latest (V6) has no foreign key to series: its rows of collected series go too.
            gc(c, "series_latest", "DELETE FROM series_latest WHERE series_id IN (SELECT l.series_id FROM series_latest l"
                    + " WHERE l.bucket < ? AND NOT EXISTS (SELECT 1 FROM series s WHERE s.id = l.series_id) LIMIT " + GC_BATCH + ")",
                    now.minus(metrics), collected, errors);
        }
        if (!alerts.isZero()) {
            // alert_state (V6) keeps a resolved alert's row; once its events left retention, it goes.
            gc(c, "alert_state", "DELETE FROM alert_state WHERE fingerprint IN (SELECT a.fingerprint FROM alert_state a"
                    + " WHERE a.status = 'resolved' AND a.event_at < ? LIMIT " + GC_BATCH + ")",
                    now.minus(alerts), collected, errors);
        }
        if (!statements.isZero()) {
            gc(c, "statement_text", "DELETE FROM statement_text WHERE (instance, queryid) IN (SELECT t.instance, t.queryid"
                    + " FROM statement_text t WHERE t.last_seen < ? AND NOT EXISTS (SELECT 1 FROM statement_rollup_1h r"
                    + " WHERE r.instance = t.instance AND r.queryid = t.queryid) LIMIT " + GC_BATCH + ")",
                    now.minus(statements), collected, errors);
        }
        if (!metrics.isZero() && !statements.isZero()) {
            String gone = "SELECT i.instance FROM instance i WHERE i.last_seen < ?"
                    + " AND NOT EXISTS (SELECT 1 FROM series s WHERE s.instance = i.instance)"
                    + " AND NOT EXISTS (SELECT 1 FROM statement_text t WHERE t.instance = i.instance)"
                    + " AND NOT EXISTS (SELECT 1 FROM alert_event a WHERE a.instance = i.instance)";
            gc(c, "insight", "DELETE FROM insight WHERE instance IN (" + gone + ")", now.minus(longest), collected, errors);
            gc(c, "instance", "DELETE FROM instance WHERE instance IN (" + gone + " LIMIT " + GC_BATCH + ")", now.minus(longest),
                    collected, errors);
        }
        String error = errors.isEmpty() ? null : String.join("; ", errors);
        if (error != null) {
            LOG.error("garbage collection of series failed: {}", error);
        }
        TableHealth h = new TableHealth("series", error == null ? "ok" : "critical", 0, 0, 0, error);
        writeHealth(c, h);
        return h;
    }

    private static void gc(Connection c, String table, String sql, Instant cutoff, TreeMap<String, Long> collected,
            List<String> errors) {
        long total = 0;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, java.time.OffsetDateTime.ofInstant(cutoff, ZoneOffset.UTC));
            int n;
            do {
                n = ps.executeUpdate();
                total += n;
            } while (n >= GC_BATCH);
        } catch (SQLException e) {
            errors.add(table + ": " + e.getMessage());
        }
        if (total > 0) {
            collected.put(table, total);
            LOG.info("deleted {} rows of {} that nothing in retention refers to (cutoff {})", total, table, cutoff);
        }
    }

    private static void writeHealth(Connection c, TableHealth h) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO store_health AS s (table_name, checked_at, status, default_rows,"
                + " partitions_ahead, ahead_wanted, error) VALUES (?, now(), ?, ?, ?, ?, ?) ON CONFLICT (table_name) DO UPDATE SET"
                + " checked_at = excluded.checked_at, status = excluded.status, default_rows = excluded.default_rows,"
                + " partitions_ahead = excluded.partitions_ahead, ahead_wanted = excluded.ahead_wanted, error = excluded.error")) {
            ps.setString(1, h.table());
            ps.setString(2, h.status());
            ps.setLong(3, h.defaultRows());
            ps.setInt(4, h.partitionsAhead());
            ps.setInt(5, h.aheadWanted());
            ps.setString(6, h.error());
            ps.executeUpdate();
        } catch (SQLException e) {
            // The report and the exit status still carry the health; the table is for readers.
            LOG.error("could not record the health of {} in store_health: {}", h.table(), e.getMessage());
        }
    }

    private static String partitionKey(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname FROM pg_catalog.pg_partitioned_table pt"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]"
                + " WHERE pt.partrelid = ?::regclass")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException(table + " is not a partitioned table; run the migrations first");
                }
                return rs.getString(1);
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                throw new SQLException("table " + table + " does not exist; run 'datainsight migrate' first", "42P01", e);
            }
            throw e;
        }
    }

    static LocalDate floor(PartitionPolicy p, Instant t) {
        LocalDate d = t.atZone(ZoneOffset.UTC).toLocalDate();
        return p.width() == PartitionPolicy.Width.DAY ? d : d.withDayOfMonth(1);
    }

    static LocalDate plus(PartitionPolicy p, LocalDate d, int n) {
        return p.width() == PartitionPolicy.Width.DAY ? d.plusDays(n) : d.plusMonths(n);
    }

    /** Partition name of the period starting at {@code start}. */
    public static String partitionName(PartitionPolicy p, LocalDate start) {
        return p.table() + "_p" + (p.width() == PartitionPolicy.Width.DAY ? DAY.format(start) : MONTH.format(start));
    }

    static LocalDate parseName(PartitionPolicy p, String name) {
        String prefix = p.table() + "_p";
        if (!name.startsWith(prefix)) {
            return null;
        }
        String s = name.substring(prefix.length());
        try {
            if (p.width() == PartitionPolicy.Width.DAY) {
                return s.length() == 8 ? LocalDate.parse(s, DAY) : null;
            }
            return s.length() == 6 ? LocalDate.parse(s + "01", DAY) : null;
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String q(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }
}
