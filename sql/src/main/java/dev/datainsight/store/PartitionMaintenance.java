package dev.datainsight.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
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
 * the dated partition they belong to, and drops whole partitions past retention (never DELETE).
 * Every creation, move and drop is logged and returned in the {@link Report}.
 *
 * <p>Time comes from an injected {@link Clock}, so tests move through months without waiting.
 * Partitions are named {@code <table>_pYYYYMMDD} (daily) or {@code <table>_pYYYYMM} (monthly),
 * ranges in UTC; partitions with other names are never touched. Runs hold a session advisory
 * lock, so two maintainers (the job's scheduler and {@code datainsight maintain}) never collide;
 * DDL waits at most {@code lock_timeout} (5 s) for the job's inserts, and a partition that could
 * not be created is simply retried on the next run while its rows wait in the default partition.
 *
 * <p>Run it as the owner of the store's tables (the role that ran the migrations), not as the
 * writer: creating and dropping partitions needs ownership.
 */
public final class PartitionMaintenance {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionMaintenance.class);
    private static final long LOCK_KEY = 0x44415441494E5349L; // "DATAINSI"
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM");

    private final String url;
    private final String user;
    private final String password;
    private final List<PartitionPolicy> policies;
    private final Clock clock;

    /**
     * What one run did.
     *
     * @param created partitions created, in order
     * @param dropped partitions dropped, in order
     * @param movedRows rows moved out of default partitions (per partition created for them)
     * @param skipped true when another maintenance run held the lock and nothing was done
     */
    public record Report(List<String> created, List<String> dropped, TreeMap<String, Long> movedRows, boolean skipped) {
        /** Lines a person reads: one per action. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            if (skipped) {
                out.add("skipped: another maintenance run holds the lock");
            }
            for (String c : created) {
                Long moved = movedRows.get(c);
                out.add("created " + c + (moved != null ? " (moved " + moved + " rows from the default partition)" : ""));
            }
            for (String d : dropped) {
                out.add("dropped " + d);
            }
            if (out.isEmpty()) {
                out.add("nothing to do");
            }
            return out;
        }
    }

    public PartitionMaintenance(String url, String user, String password, List<PartitionPolicy> policies, Clock clock) {
        this.url = Objects.requireNonNull(url, "url");
        this.user = user;
        this.password = password;
        this.policies = List.copyOf(policies);
        this.clock = Objects.requireNonNull(clock, "clock");
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

    /** Runs once over every table on a connection the caller owns (left in auto-commit). */
    public Report run(Connection c) throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '5s'");
        }
        if (!advisoryLock(c, "pg_try_advisory_lock")) {
            LOG.info("partition maintenance skipped: another run holds the lock");
            return new Report(List.of(), List.of(), new TreeMap<>(), true);
        }
        List<String> created = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        TreeMap<String, Long> moved = new TreeMap<>();
        try {
            Instant now = clock.instant();
            for (PartitionPolicy policy : policies) {
                maintain(c, policy, now, created, dropped, moved);
            }
            rollStatementDays(c, now);
        } finally {
            advisoryLock(c, "pg_advisory_unlock");
        }
        return new Report(List.copyOf(created), List.copyOf(dropped), moved, false);
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

    private void maintain(Connection c, PartitionPolicy policy, Instant now, List<String> created, List<String> dropped,
            TreeMap<String, Long> moved) throws SQLException {
        String table = policy.table();
        String keyColumn = partitionKey(c, table);
        TreeSet<LocalDate> existing = new TreeSet<>();
        String defaultPartition = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid)"
                + " FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
                + " WHERE i.inhparent = ?::regclass")) {
            ps.setString(1, table);
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

        // Partitions wanted: the current one and `ahead` after it, plus every period that has rows
        // waiting in the default partition.
        TreeSet<LocalDate> wanted = new TreeSet<>();
        LocalDate current = floor(policy, now);
        for (int i = 0; i <= policy.ahead(); i++) {
            wanted.add(plus(policy, current, i));
        }
        TreeSet<LocalDate> inDefault = new TreeSet<>();
        if (defaultPartition != null) {
            String unit = policy.width() == PartitionPolicy.Width.DAY ? "day" : "month";
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT DISTINCT (date_trunc('" + unit + "', " + q(keyColumn)
                            + " AT TIME ZONE 'UTC'))::date FROM " + q(defaultPartition))) {
                while (rs.next()) {
                    inDefault.add(rs.getObject(1, LocalDate.class));
                }
            }
            wanted.addAll(inDefault);
        }

        for (LocalDate start : wanted) {
            if (existing.contains(start)) {
                continue;
            }
            String name = partitionName(policy, start);
            LocalDate end = plus(policy, start, 1);
            String bounds = " FOR VALUES FROM ('" + start + " 00:00:00+00') TO ('" + end + " 00:00:00+00')";
            if (inDefault.contains(start)) {
                long n = createMovingFromDefault(c, table, keyColumn, defaultPartition, name, bounds, start, end);
                moved.put(name, n);
                LOG.info("created partition {} [{} .. {}) and moved {} rows into it from {}", name, start, end, n,
                        defaultPartition);
            } else {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE " + q(name) + " PARTITION OF " + q(table) + bounds);
                }
                LOG.info("created partition {} [{} .. {})", name, start, end);
            }
            existing.add(start);
            created.add(name);
        }

        // Retention: drop a partition once its whole range is older than now - retention.
        Instant cutoff = now.minus(policy.retention());
        for (LocalDate start : existing) {
            Instant end = plus(policy, start, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
            if (!end.isAfter(cutoff)) {
                String name = partitionName(policy, start);
                try (Statement st = c.createStatement()) {
                    st.execute("DROP TABLE " + q(name));
                }
                LOG.info("dropped partition {} [{} .. {}): older than the {} retention of {} (cutoff {})", name, start,
                        plus(policy, start, 1), policy.retention(), table, cutoff);
                dropped.add(name);
            }
        }
    }

    private static long createMovingFromDefault(Connection c, String table, String keyColumn, String defaultPartition,
            String name, String bounds, LocalDate start, LocalDate end) throws SQLException {
        String range = q(keyColumn) + " >= '" + start + " 00:00:00+00' AND " + q(keyColumn) + " < '" + end + " 00:00:00+00'";
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            // One transaction: the rows leave the default partition, the partition is created
            // (which checks that the default holds no rows of its range), the rows go back in.
            st.execute("CREATE TEMP TABLE datainsight_moving ON COMMIT DROP AS SELECT * FROM " + q(defaultPartition)
                    + " WHERE " + range);
            st.execute("DELETE FROM " + q(defaultPartition) + " WHERE " + range);
            st.execute("CREATE TABLE " + q(name) + " PARTITION OF " + q(table) + bounds);
            long n = st.executeUpdate("INSERT INTO " + q(table) + " SELECT * FROM datainsight_moving");
            c.commit();
            return n;
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException("moving rows of " + name + " out of " + defaultPartition + ": " + e.getMessage(),
                    e.getSQLState(), e);
        } finally {
            c.setAutoCommit(true);
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
