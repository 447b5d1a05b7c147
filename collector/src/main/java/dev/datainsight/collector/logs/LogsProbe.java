package dev.datainsight.collector.logs;

import dev.datainsight.collector.probe.Probe;
import dev.datainsight.collector.probe.ProbeContext;
import dev.datainsight.collector.probe.ProbeGroup;
import dev.datainsight.collector.probe.ProbeOutput;
import dev.datainsight.collector.probe.SqlVariants;
import dev.datainsight.logs.LogEntry;
import dev.datainsight.logs.LogFormat;
import dev.datainsight.logs.LogOptions;
import dev.datainsight.model.LogBatch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log collection, run as a probe of the fast group on the instance's main connection (so the
 * server sees no extra connection). Per cycle: one statement reads the logging settings and
 * the privileges; then {@link LogTailer} lists the log directory and reads at most
 * {@link LogSettings#maxBytesPerCycle()} new bytes, agentless ({@code pg_ls_logdir()},
 * {@code pg_read_binary_file}) or from a local directory (co-located); the entries go to the
 * {@link LogSink} as {@link LogBatch}es, and the position is stored in {@link LogOffsets} once
 * they are delivered. Emits no metrics snapshot: its health row (duration, error) is the
 * collector's usual one; {@link #status(String)} tells more.
 *
 * <p>Problems that stop collection (the missing {@code GRANT EXECUTE}, {@code logging_collector}
 * off, an unreadable directory) are logged once per instance and kept in the status until they
 * are gone; the settings and privileges are read again every cycle, so a GRANT takes effect
 * without a restart.
 */
public final class LogsProbe implements Probe {
    private static final Logger LOG = LoggerFactory.getLogger(LogsProbe.class);
    public static final String NAME = "logs";
    /** Entries per Kafka record at most (and about 1 MB of text): records stay well under the broker's bounds. */
    static final int MAX_ENTRIES_PER_BATCH = 2_000;
    static final long MAX_CHARS_PER_BATCH = 1_000_000;
    /** The statement the GRANT hint names. */
    public static final String READ_FUNCTION = "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)";

    static final String SETTINGS = SqlVariants.tag("logs", """
            SELECT pg_catalog.current_setting('log_destination'), pg_catalog.current_setting('log_line_prefix'),
              pg_catalog.current_setting('logging_collector')::bool,
              pg_catalog.has_function_privilege('pg_catalog.pg_read_binary_file(text,bigint,bigint,boolean)', 'EXECUTE'),
              pg_catalog.has_function_privilege('pg_catalog.pg_ls_logdir()', 'EXECUTE')""");

    /** What the collector knows about one instance's log collection. */
    public record Status(String problem, long entries, long batches, long bytesRead, String file, long offset,
            boolean waitingForDelivery) {}

    private final Function<String, InstanceLogs> instances;
    private final LogSettings settings;
    private final LogSink sink;
    private final LogOffsets offsets;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    private static final class State {
        final LogTailer tailer;
        volatile String problem;
        volatile long entries;
        volatile long batches;
        volatile long bytesRead;
        volatile boolean waiting;

        State(LogTailer t) {
            tailer = t;
        }
    }

    /**
     * @param instances the log settings of an instance id (off for unknown ids)
     */
    public LogsProbe(Function<String, InstanceLogs> instances, LogSettings settings, LogSink sink) {
        this.instances = Objects.requireNonNull(instances);
        this.settings = Objects.requireNonNull(settings);
        this.sink = Objects.requireNonNull(sink);
        this.offsets = new LogOffsets(settings.stateFile());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.FAST;
    }

    @Override
    public boolean enabledFor(ProbeContext ctx) {
        InstanceLogs l = instances.apply(ctx.instanceId());
        return l != null && l.enabled();
    }

    /** The status of an instance, or null before its first cycle. */
    public Status status(String instanceId) {
        State s = states.get(instanceId);
        if (s == null) {
            return null;
        }
        LogOffsets.Position p = s.tailer.committed();
        return new Status(s.problem, s.entries, s.batches, s.bytesRead, p == null ? null : p.file(),
                p == null ? 0 : p.offset(), s.waiting);
    }

    public LogOffsets offsets() {
        return offsets;
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        String id = ctx.instanceId();
        InstanceLogs il = instances.apply(id);
        State st = states.computeIfAbsent(id, k -> new State(new LogTailer(offsets.get(k))));
        Connection c = ctx.connection();
        String destination;
        String prefix;
        boolean collector;
        boolean canRead;
        boolean canList;
        try (PreparedStatement ps = c.prepareStatement(SETTINGS); ResultSet rs = ps.executeQuery()) {
            rs.next();
            destination = rs.getString(1);
            prefix = rs.getString(2);
            collector = rs.getBoolean(3);
            canRead = rs.getBoolean(4);
            canList = rs.getBoolean(5);
        }
        int major = ctx.serverVersionNum() / 10000;
        LogFormat format = format(destination, major);
        LogSource source;
        if (il.agentlessMode()) {
            if (!canRead || !canList) {
                problem(id, st, "cannot read the server log: role lacks EXECUTE on "
                        + (canRead ? "pg_catalog.pg_ls_logdir() (GRANT pg_monitor TO <role>)" : READ_FUNCTION)
                        + ". As a superuser: GRANT EXECUTE ON FUNCTION " + READ_FUNCTION
                        + " TO <collector role>; (or set instances[].logs.log_directory to read a local directory)");
                return ProbeOutput.skipped("no privilege");
            }
            if (!collector) {
                problem(id, st, "logging_collector is off: the server writes no log files pg_ls_logdir() lists;"
                        + " set logging_collector = on (restart) or read the files where they are written"
                        + " (instances[].logs.log_directory, co-located)");
                return ProbeOutput.skipped("logging_collector off");
            }
            source = new ServerLogSource(c);
        } else {
            source = new LocalLogSource(il.logDirectory());
        }
        LogOptions opts = LogOptions.defaults().withMaxEntryChars(settings.maxEntryChars())
                .withStatementText(settings.statementText());
        LogTailer.Cycle cy;
        try {
            cy = st.tailer.cycle(source, format, prefix, major, opts, settings.maxBytesPerCycle());
        } catch (SQLException e) {
            throw e;
        } catch (java.io.IOException e) {
            problem(id, st, "cannot read the log directory " + il.logDirectory() + ": " + e);
            return ProbeOutput.skipped("unreadable directory");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        clear(id, st);
        st.waiting = cy.waiting();
        if (cy.waiting()) {
            return ProbeOutput.skipped("waiting for Kafka");
        }
        st.bytesRead += cy.bytesRead();
        List<LogBatch> batches = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (LogTailer.FileEntries fe : cy.files()) {
            chunk(batches, id, ctx.serverVersionNum(), now, source.kind(), fe, format);
        }
        LogOffsets.Position commit = cy.commit();
        LogTailer.Inflight inflight = st.tailer.sent(batches.size());
        if (inflight == null) {
            if (commit != null) {
                st.tailer.delivered(commit);
                offsets.commit(id, commit);
            }
        } else {
            for (LogBatch b : batches) {
                sink.publish(b, () -> {
                    if (inflight.remaining.decrementAndGet() == 0 && !inflight.lost) {
                        st.tailer.delivered(commit);
                        offsets.commit(id, commit);
                    }
                }, () -> {
                    inflight.lost = true;
                    inflight.remaining.decrementAndGet();
                });
                st.entries += b.entries().size();
                st.batches++;
            }
        }
        return ProbeOutput.skipped("entries go to the logs topic");
    }

    /** jsonlog when the server writes it (15+), else csvlog, else stderr: structured formats parse without the prefix. */
    public static LogFormat format(String destination, int major) {
        String d = destination == null ? "" : destination.toLowerCase(Locale.ROOT);
        if (d.contains("jsonlog") && major >= 15) {
            return LogFormat.JSONLOG;
        }
        if (d.contains("csvlog")) {
            return LogFormat.CSVLOG;
        }
        return LogFormat.STDERR;
    }

    private void chunk(List<LogBatch> out, String id, int version, long now, String source, LogTailer.FileEntries fe,
            LogFormat format) {
        List<LogBatch.Entry> cur = new ArrayList<>();
        long chars = 0;
        for (LogEntry e : fe.entries()) {
            LogBatch.Entry w = wire(e);
            long n = size(w);
            if (!cur.isEmpty() && (cur.size() >= MAX_ENTRIES_PER_BATCH || chars + n > MAX_CHARS_PER_BATCH)) {
                out.add(batch(id, version, now, source, fe.file(), format, cur));
                cur = new ArrayList<>();
                chars = 0;
            }
            cur.add(w);
            chars += n;
        }
        if (!cur.isEmpty()) {
            out.add(batch(id, version, now, source, fe.file(), format, cur));
        }
    }

    private LogBatch batch(String id, int version, long now, String source, String file, LogFormat format,
            List<LogBatch.Entry> entries) {
        return new LogBatch(LogBatch.SCHEMA_VERSION, id, version, now, source, file, LogTailer.name(format),
                entries.get(0).offset(), entries.get(entries.size() - 1).endOffset(), settings.statementText(), entries);
    }

    private static long size(LogBatch.Entry w) {
        return 200 + len(w.message()) + len(w.detail()) + len(w.hint()) + len(w.context()) + len(w.statement())
                + len(w.internalQuery()) + len(w.raw());
    }

    private static long len(String s) {
        return s == null ? 0 : s.length();
    }

    static LogBatch.Entry wire(LogEntry e) {
        if (!e.parsed()) {
            return new LogBatch.Entry(e.offset(), e.endOffset(), true, e.truncated(), null, null, null, null, null, null,
                    null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                    e.raw());
        }
        return new LogBatch.Entry(e.offset(), e.endOffset(), false, e.truncated(),
                e.timestamp() == null ? null : e.timestamp().toEpochMilli(), e.timestampText(), e.severity(),
                e.sqlstate(), e.pid(), e.user(), e.database(), e.application(), e.client(), e.sessionId(),
                e.lineNumber(), e.vxid(), e.xid(), e.backendType(), e.queryId(), e.leaderPid(), e.message(), e.detail(),
                e.hint(), e.context(), e.statement(), e.internalQuery(), null);
    }

    private static void problem(String id, State st, String message) {
        if (!message.equals(st.problem)) {
            LOG.warn("[{}] {}", id, message);
        }
        st.problem = message;
    }

    private static void clear(String id, State st) {
        if (st.problem != null) {
            LOG.info("[{}] reading the server log again", id);
            st.problem = null;
        }
    }
}
