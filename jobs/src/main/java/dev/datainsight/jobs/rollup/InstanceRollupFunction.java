package dev.datainsight.jobs.rollup;

import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.functions.Bucket;
import dev.datainsight.jobs.functions.ViewState;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.InstanceInfo;
import dev.datainsight.jobs.records.InstanceSeen;
import dev.datainsight.jobs.records.PendingSnapshots;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.model.ViewDef;
import dev.datainsight.model.WireCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of the job, keyed by instance: all series of one server live in one keyed operator, so
 * a snapshot (one view, dozens of series) costs one state lookup and no per-sample shuffle.
 *
 * <ol>
 *   <li>A snapshot newer than the watermark waits in {@code pending} under an event-time timer at
 *       its collection time, so snapshots are applied in event-time order whatever order they
 *       arrived in (out-of-order within the watermark bound is exact). At equal times pg_settings
 *       goes first: its {@code server_start_epoch} tells the others that the server restarted.</li>
 *   <li>Counters become per-second rates against the previous snapshot of the same row; a value
 *       that goes down, a changed stats_reset, a server restart or version change, or a gap longer
 *       than the bound yields no rate (the sample becomes the new baseline). Gauges pass through.
 *       pg_stat_statements counters become deltas summed per hour.</li>
 *   <li>Server identity: when the collector's health snapshot ({@code datainsight_collector},
 *       row {@code probe=""}) shows another system_identifier (a VIP failover to another server),
 *       a role change ({@code in_recovery} flips: a promotion) or a new {@code timeline_id}, every
 *       counter of the instance is rebaselined: no rate is taken across the change. See
 *       {@link #noteIdentity} for how and for the order of snapshots within a collection time.</li>
 *   <li>Samples go into 1-minute buckets (count, min, max, sum, last), emitted when the watermark
 *       passes the bucket end, updated and re-emitted for late snapshots within the allowed
 *       lateness, then folded into the hour and the hour into the day (the cascade is built from
 *       the final 1-minute results, never from raw samples).</li>
 *   <li>Snapshots later than the allowed lateness go to the {@link #LATE} side output (dead-letter
 *       topic, reason {@code late}).</li>
 * </ol>
 *
 * <p><b>Per-key quarantine.</b> An unexpected exception while one instance's snapshot or timer is
 * processed (a bug in the rollup state, not bad input: that was refused upstream) is caught here
 * instead of failing the task, because a failing state is checkpointed and would fail again after
 * every restore, stopping the whole fleet. The {@code internalErrors} counter goes up, the
 * snapshot(s) being applied go to the {@link #LATE} side output as {@code internal_error} dead
 * letters with the first stack frames and the gap it leaves, and the instance's rollup state
 * (views and bookkeeping) is cleared so it rebuilds from the next snapshots; its pending
 * snapshots stay and are applied on their timers. Timers left behind find no state and do
 * nothing. Errors, interrupts, I/O and Flink's own exceptions still fail the task
 * ({@link InternalErrors#isQuarantinable}). See docs/job.md.
 *
 * <p>State lifetime: pending entries are removed by their timer; buckets by their finalize timers;
 * rows not seen for longer than the gap bound are dropped at the day boundary or when the view is
 * idle (a cleanup timer at last-seen + gap + allowed lateness + bucket width, see
 * {@link #idleCleanupTime}), and an empty view is removed; an instance with
 * nothing left clears its bookkeeping (and its due index). A timer reads and rewrites only the
 * views it applies snapshots to and those due at its time ({@link ViewState#dueAt}, kept per view
 * in a small index state), not every view of the instance. A TTL ({@code stateTtl}) can be added as a backstop; it is
 * off by default because the timers already bound every entry.
 */
public class InstanceRollupFunction extends KeyedProcessFunction<String, CompactSnapshot, RollupBatch> {
    private static final long serialVersionUID = 1L;

    /**
     * This operator's dead letters: snapshots later than the allowed lateness ({@code late}) and
     * those quarantined by an internal error ({@code internal_error}).
     */
    public static final OutputTag<DeadLetterRecord> LATE =
            new OutputTag<>("late-snapshots", TypeInformation.of(DeadLetterRecord.class));
    /** Inventory updates. */
    public static final OutputTag<InstanceSeen> INSTANCES =
            new OutputTag<>("instances-seen", TypeInformation.of(InstanceSeen.class));

    private static final Logger LOG = LoggerFactory.getLogger(InstanceRollupFunction.class);
    private static final int SERVER_START_COLUMN = columnIndex("pg_settings", "server_start_epoch");
    private static final int ID_HIGH_COLUMN = columnIndex(MetricCatalog.COLLECTOR_VIEW, "system_identifier_high");
    private static final int ID_LOW_COLUMN = columnIndex(MetricCatalog.COLLECTOR_VIEW, "system_identifier_low");
    private static final int IN_RECOVERY_COLUMN = columnIndex(MetricCatalog.COLLECTOR_VIEW, "in_recovery");
    private static final int TIMELINE_COLUMN = columnIndex(MetricCatalog.COLLECTOR_VIEW, "timeline_id");
    /** Counter (group {@link JobNames#METRIC_GROUP}) of server identity changes that rebaselined an instance. */
    public static final String METRIC_IDENTITY_CHANGES = "identityChanges";
    /** Name of the per-view due-time index state (new with issue 21: absent from older savepoints). */
    static final String STATE_DUE = "view-due";
    /** The due index's marker key: no view is named so. */
    static final String INDEXED = "";

    private final long latenessMs;
    private final long maxGapMs;
    private final long inventoryIntervalMs;
    private final Duration stateTtl;
    private final String lateTopic;
    private InternalErrors.FaultInjection faults = InternalErrors.NONE;

    private transient MapState<String, ViewState> views;
    private transient MapState<Long, PendingSnapshots> pending;
    /**
     * Per view, when it is next due ({@link ViewState#dueAt}): a timer advances only the views
     * due at its time (and those it applied snapshots to), instead of reading and rewriting every
     * view of the instance (on RocksDB a deserialize and serialize each). Under {@link #INDEXED}
     * a marker that the index covers every view: state restored from before the index (a
     * savepoint of an older job) has none, and the first access rebuilds it from the views.
     */
    private transient MapState<String, Long> due;
    private transient ValueState<InstanceInfo> info;
    private transient Counter lateCounter;
    private transient Counter duplicateCounter;
    private transient Counter resetCounter;
    private transient Counter internalErrorCounter;
    private transient Counter identityChangeCounter;

    /**
     * @param allowedLateness how long a bucket accepts late snapshots after the watermark passed it
     * @param maxGap no rate is computed across a longer gap between two snapshots of a row
     * @param inventoryInterval how often (event time) an instance's inventory row is refreshed
     * @param stateTtl optional backstop TTL of view and instance state (zero = none)
     * @param sourceTopics the job's source topics, named (comma-joined) in late dead letters: a
     *     compact snapshot no longer knows which of them it came from
     */
    public InstanceRollupFunction(Duration allowedLateness, Duration maxGap, Duration inventoryInterval,
            Duration stateTtl, List<String> sourceTopics) {
        this.latenessMs = allowedLateness.toMillis();
        this.maxGapMs = maxGap.toMillis();
        this.inventoryIntervalMs = inventoryInterval.toMillis();
        this.stateTtl = stateTtl;
        this.lateTopic = String.join(",", sourceTopics);
    }

    /**
     * Test-only: fails applying a snapshot whose (instance, collected_at) the hook selects, to
     * exercise the quarantine. Production wiring never calls this.
     */
    public InstanceRollupFunction withFaultInjection(InternalErrors.FaultInjection f) {
        this.faults = f == null ? InternalErrors.NONE : f;
        return this;
    }

    private static int columnIndex(String view, String column) {
        return new ArrayList<>(MetricCatalog.view(view).columns().keySet()).indexOf(column);
    }

    @Override
    public void open(OpenContext openContext) {
        // Cleanup timers bound every state here; a TTL is an optional backstop (off by default: on
        // the heap backend it wraps every value and its incremental cleanup touches entries on
        // every access, which costs more than the whole rate computation).
        StateTtlConfig ttl = stateTtl.isZero() || stateTtl.isNegative() ? null : StateTtlConfig.newBuilder(stateTtl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        MapStateDescriptor<String, ViewState> vd = new MapStateDescriptor<>(JobNames.STATE_VIEWS, Types.STRING,
                TypeInformation.of(ViewState.class));
        if (ttl != null) {
            vd.enableTimeToLive(ttl);
        }
        views = getRuntimeContext().getMapState(vd);
        pending = getRuntimeContext().getMapState(new MapStateDescriptor<>(JobNames.STATE_PENDING, Types.LONG,
                TypeInformation.of(PendingSnapshots.class)));
        MapStateDescriptor<String, Long> dd = new MapStateDescriptor<>(STATE_DUE, Types.STRING, Types.LONG);
        if (ttl != null) {
            dd.enableTimeToLive(ttl);
        }
        due = getRuntimeContext().getMapState(dd);
        ValueStateDescriptor<InstanceInfo> id = new ValueStateDescriptor<>(JobNames.STATE_INSTANCE,
                TypeInformation.of(InstanceInfo.class));
        if (ttl != null) {
            id.enableTimeToLive(ttl);
        }
        info = getRuntimeContext().getState(id);
        MetricGroup g = getRuntimeContext().getMetricGroup().addGroup(JobNames.METRIC_GROUP);
        lateCounter = g.counter(JobNames.METRIC_LATE);
        duplicateCounter = g.counter(JobNames.METRIC_DUPLICATES);
        resetCounter = g.counter(JobNames.METRIC_RESETS);
        internalErrorCounter = g.counter(JobNames.METRIC_INTERNAL_ERRORS);
        identityChangeCounter = g.counter(METRIC_IDENTITY_CHANGES);
    }

    @Override
    public void processElement(CompactSnapshot s, Context ctx, Collector<RollupBatch> out) throws Exception {
        try {
            process(s, ctx, out);
        } catch (RuntimeException e) {
            if (!InternalErrors.isQuarantinable(e)) {
                throw e;
            }
            quarantine(s.instance, new CompactSnapshot[] {s}, e, ctx, "snapshot " + s.view + " at " + s.collectedAt);
        }
    }

    private void process(CompactSnapshot s, Context ctx, Collector<RollupBatch> out) throws Exception {
        inventory(s, ctx);
        long wm = ctx.timerService().currentWatermark();
        if (s.collectedAt > wm) {
            PendingSnapshots p = pending.get(s.collectedAt);
            if (p == null) {
                p = new PendingSnapshots(new CompactSnapshot[] {s});
            } else {
                p.items = Arrays.copyOf(p.items, p.items.length + 1);
                p.items[p.items.length - 1] = s;
            }
            pending.put(s.collectedAt, p);
            ctx.timerService().registerEventTimeTimer(s.collectedAt);
            return;
        }
        // Behind the watermark: accepted while its bucket is within the allowed lateness.
        ViewState vs = views.get(s.view);
        if (vs == null) {
            vs = ViewState.create(s.view);
        }
        long bucketEnd = vs.bucketStart(s.collectedAt) + vs.width() - 1;
        if (bucketEnd + latenessMs <= wm) {
            lateCounter.inc();
            ctx.output(LATE, lateLetter(s, wm));
            return;
        }
        if ("pg_settings".equals(s.view)) {
            // A late pg_settings may be the first to show a restart: the snapshots still to come
            // must not take a rate across it. Only a later start counts here: an older snapshot
            // must not wind back a restart already seen.
            noteServerStart(s, true);
        }
        if (MetricCatalog.COLLECTOR_VIEW.equals(s.view)) {
            noteIdentity(s); // late: rebaselines only the rows last seen before it (see there)
        }
        InternalErrors.check(faults, s.instance, s.collectedAt);
        ViewState state = vs;
        ViewState.ApplyStats stats = new ViewState.ApplyStats();
        Bucket b = vs.apply(s, serverStart(), maxGapMs, start -> bucketTimers(ctx, state, start), stats);
        count(stats);
        if (b != null && bucketEnd <= wm) {
            out.collect(vs.toBatch(s.instance, vs.statements ? RollupBatch.STATEMENTS : RollupBatch.MINUTE, b));
            b.emitted = true;
        }
        ensureDueIndex();
        views.put(s.view, vs);
        due.put(s.view, vs.dueAt(latenessMs, maxGapMs));
    }

    /** Rebuilds the due index from the views when the state has none yet (restored from before it). */
    private void ensureDueIndex() throws Exception {
        if (due.contains(INDEXED)) {
            return;
        }
        for (Map.Entry<String, ViewState> e : views.entries()) {
            due.put(e.getKey(), e.getValue().dueAt(latenessMs, maxGapMs));
        }
        due.put(INDEXED, Long.MAX_VALUE);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<RollupBatch> out) throws Exception {
        PendingSnapshots p = null;
        try {
            p = pending.get(timestamp);
            fire(timestamp, p, ctx, out);
        } catch (RuntimeException e) {
            if (!InternalErrors.isQuarantinable(e)) {
                throw e;
            }
            quarantine(ctx.getCurrentKey(), p == null || p.items == null ? new CompactSnapshot[0] : p.items, e, ctx,
                    "timer at " + timestamp);
        }
    }

    private void fire(long timestamp, PendingSnapshots p, OnTimerContext ctx, Collector<RollupBatch> out)
            throws Exception {
        String instance = ctx.getCurrentKey();
        ensureDueIndex();
        // The views this timer reads and writes: those it applies snapshots to and those due at
        // its time; each is read once and written once (timers at the same time are one timer,
        // and a view not due is neither read nor rewritten).
        Map<String, ViewState> touched = new java.util.LinkedHashMap<>();
        if (p != null) {
            pending.remove(timestamp);
            CompactSnapshot[] items = p.items;
            // pg_settings and the health snapshot first: the server start and the server identity
            // decide whether the others' counters at the same time may be diffed.
            Arrays.sort(items, (a, b) -> Integer.compare(applyRank(a), applyRank(b)));
            for (CompactSnapshot s : items) {
                if ("pg_settings".equals(s.view)) {
                    noteServerStart(s, false);
                } else if (MetricCatalog.COLLECTOR_VIEW.equals(s.view)) {
                    noteIdentity(s);
                }
                ViewState vs = touched.get(s.view);
                if (vs == null) {
                    vs = views.get(s.view);
                    if (vs == null) {
                        vs = ViewState.create(s.view);
                    }
                    touched.put(s.view, vs);
                }
                InternalErrors.check(faults, instance, s.collectedAt);
                ViewState state = vs;
                ViewState.ApplyStats stats = new ViewState.ApplyStats();
                vs.apply(s, serverStart(), maxGapMs, start -> bucketTimers(ctx, state, start), stats);
                count(stats);
            }
        }
        List<String> dueViews = new ArrayList<>();
        for (Map.Entry<String, Long> e : due.entries()) {
            if (e.getValue() <= timestamp && !INDEXED.equals(e.getKey()) && !touched.containsKey(e.getKey())) {
                dueViews.add(e.getKey());
            }
        }
        for (String v : dueViews) {
            ViewState vs = views.get(v);
            if (vs != null) {
                touched.put(v, vs);
            } else {
                due.remove(v); // its view went with a quarantine or was never written
            }
        }
        for (Map.Entry<String, ViewState> e : touched.entrySet()) {
            ViewState vs = e.getValue();
            if (vs.dueAt(latenessMs, maxGapMs) <= timestamp) {
                vs.advance(instance, timestamp, latenessMs, maxGapMs, out::collect,
                        t -> ctx.timerService().registerEventTimeTimer(t));
                if (!vs.isEmpty() && vs.buckets.length == 0 && vs.hour == null && vs.day == null) {
                    // Idle view: come back when its rows can be dropped (later than the watermark:
                    // otherwise they would have been dropped just now).
                    ctx.timerService().registerEventTimeTimer(idleCleanupTime(vs));
                }
            }
            if (vs.isEmpty()) {
                views.remove(e.getKey());
                due.remove(e.getKey());
            } else {
                views.put(e.getKey(), vs);
                due.put(e.getKey(), vs.dueAt(latenessMs, maxGapMs));
            }
        }
        if (views.isEmpty() && pending.isEmpty()) {
            info.clear();
            due.clear();
        }
    }

    /**
     * The quarantine: counts, dead-letters the snapshot(s) being applied with the stack head and
     * the gap, and clears the instance's rollup state so the next snapshots rebuild it.
     */
    private void quarantine(String instance, CompactSnapshot[] offending, RuntimeException e, Context ctx,
            String where) throws Exception {
        internalErrorCounter.inc();
        String gap = gap(instance);
        views.clear();
        due.clear();
        info.clear();
        String detail = "internal error on " + where + " (a bug in the job, not in the record): "
                + InternalErrors.stackHead(e, InternalErrors.STACK_LINES) + "\n" + gap;
        LOG.error("quarantined instance {} after an internal error on {}; {}", instance, where, gap, e);
        long now = System.currentTimeMillis();
        if (offending.length == 0) {
            ctx.output(LATE, WireCodec.deadLetter(null, RejectReason.INTERNAL_ERROR, detail, instance, lateTopic,
                    null, null, null, now));
        }
        for (CompactSnapshot s : offending) {
            byte[] payload;
            try {
                payload = new WireCodec().encode(toSnapshot(s));
            } catch (RuntimeException encode) {
                payload = null; // the snapshot itself may be what is broken: the letter still says what happened
            }
            ctx.output(LATE, WireCodec.deadLetter(payload, RejectReason.INTERNAL_ERROR, detail, s.instance, lateTopic,
                    null, null, null, now));
        }
    }

    /** The statement of what the reset loses, from the state about to be cleared (best effort: it may be what broke). */
    private String gap(String instance) {
        long minute = Long.MAX_VALUE;
        long hour = Long.MAX_VALUE;
        long day = Long.MAX_VALUE;
        try {
            for (ViewState vs : views.values()) {
                if (vs.buckets != null) {
                    for (Bucket b : vs.buckets) {
                        minute = Math.min(minute, b.start);
                    }
                }
                if (vs.hour != null) {
                    hour = Math.min(hour, vs.hour.start);
                }
                if (vs.day != null) {
                    day = Math.min(day, vs.day.start);
                }
            }
        } catch (Exception unreadable) {
            return "state of instance " + instance + " reset (unreadable); its rollups are rebuilt from the next snapshots";
        }
        long from = Math.min(minute, Math.min(hour, day));
        StringBuilder sb = new StringBuilder("state of instance ").append(instance).append(" reset; its rollups from ")
                .append(from == Long.MAX_VALUE ? "now" : java.time.Instant.ofEpochMilli(from).toString())
                .append(" are rebuilt from the next snapshots");
        if (from != Long.MAX_VALUE) {
            sb.append(" (every bucket still open at the reset - minutes within the allowed lateness, the current hour "
                    + "and day, statement hours - keeps only the samples after it)");
        }
        return sb.toString();
    }

    /**
     * When an idle view's rows can go: last seen + gap bound + allowed lateness + bucket width. Up
     * to then a late snapshot can still be accepted (its bucket, ending at most at last seen + gap
     * + width - 1, is within the allowed lateness) and continue a row with a rate, so dropping the
     * row any earlier would turn that rate into a new baseline.
     */
    long idleCleanupTime(ViewState vs) {
        return vs.lastSeen() + maxGapMs + latenessMs + vs.width();
    }

    private void bucketTimers(Context ctx, ViewState vs, long start) {
        long end = start + vs.width() - 1;
        ctx.timerService().registerEventTimeTimer(end);
        ctx.timerService().registerEventTimeTimer(end + latenessMs);
    }

    private void count(ViewState.ApplyStats stats) {
        if (stats.duplicate) {
            duplicateCounter.inc();
        }
        if (stats.resets > 0) {
            resetCounter.inc(stats.resets);
        }
    }

    /** 0 for the snapshots applied first at a collection time (server start, identity), 1 for the rest. */
    private static int applyRank(CompactSnapshot s) {
        return "pg_settings".equals(s.view) || MetricCatalog.COLLECTOR_VIEW.equals(s.view) ? 0 : 1;
    }

    /**
     * The time before which no counter sample may be diffed: the later of the server start and the
     * last identity change ({@link ViewState#apply} takes a new baseline for a row whose previous
     * sample is older).
     */
    private long serverStart() throws Exception {
        InstanceInfo i = info.value();
        if (i == null) {
            return Long.MIN_VALUE;
        }
        long changed = i.identityChangedAt == 0 ? Long.MIN_VALUE : i.identityChangedAt;
        return Math.max(i.serverStartMs, changed);
    }

    /**
     * Keeps the server identity of a health snapshot (row {@code probe=""}: system_identifier,
     * in_recovery, timeline_id) in the instance state and, when it differs from the one kept, notes
     * the change: counted ({@value #METRIC_IDENTITY_CHANGES}), logged once at INFO (instance, old →
     * new) and remembered as {@link InstanceInfo#identityChangedAt} = the health snapshot's
     * collection time C.
     *
     * <p><b>Rebaseline.</b> From then on a counter row whose last sample is older than C takes a
     * new baseline at its next sample (no rate, no delta), exactly like after a server restart:
     * that is the same as dropping every view's last raw counter values of the rows last seen
     * before C, without reading and rewriting every view of the instance. Rows already sampled at
     * or after C keep their baseline: those samples come from the new server.
     *
     * <p><b>Order within a collection time.</b> The collector stamps a cycle's health snapshot
     * with the cycle's start, the collected_at of that cycle's view snapshots, and they may reach
     * the job in either order. Snapshots newer than the watermark wait for their timer, and at one
     * time the health snapshot (with pg_settings) is applied before the views, so the views of the
     * cycle that first shows the new server are baselined whatever order they arrived in. A health
     * snapshot applied late (behind the watermark, after views of its own time or later were
     * applied) rebaselines only the rows still last seen before C: the rates already emitted for
     * the interval ending at C cannot be taken back. The change happened somewhere between the
     * previous health snapshot and C; a view sampled in between (a slow-lane view) is rebaselined
     * too, as its sample may come from either server. Caught only as well as the collector's stamp:
     * when the other lane's health snapshot took that millisecond the stamp is 1 ms later than the
     * cycle's views, and that cycle's rates still span the change.
     *
     * <p>A value missing from the snapshot (null: no EXECUTE on the pg_control functions, a cycle
     * that did not read the identity) is not a change; the first identity seen is not one either.
     * A health snapshot not newer than the identity kept is ignored (a late one must not wind it
     * back). A promotion usually shows twice: in_recovery flips at once, the checkpoint timeline
     * at the first checkpoint after it; each is a change (two baselines).
     */
    private void noteIdentity(CompactSnapshot s) throws Exception {
        int row = -1;
        for (int r = 0; r < s.rowKeys.length; r++) {
            if (s.rowKeys[r].isEmpty()) {
                row = r;
                break;
            }
        }
        if (row < 0) {
            return;
        }
        double hi = valueAt(s, row, ID_HIGH_COLUMN);
        double lo = valueAt(s, row, ID_LOW_COLUMN);
        double rec = valueAt(s, row, IN_RECOVERY_COLUMN);
        double tl = valueAt(s, row, TIMELINE_COLUMN);
        if (Double.isNaN(hi) && Double.isNaN(lo) && Double.isNaN(rec) && Double.isNaN(tl)) {
            return;
        }
        InstanceInfo i = info.value();
        if (i == null) {
            i = new InstanceInfo();
        }
        if (i.identityKnown && s.collectedAt <= i.identitySeenAt) {
            return;
        }
        boolean changed = i.identityKnown && (differs(i.systemIdHigh, hi) || differs(i.systemIdLow, lo)
                || differs(i.inRecovery, rec) || differs(i.timelineId, tl));
        String old = changed ? describeIdentity(i.systemIdHigh, i.systemIdLow, i.inRecovery, i.timelineId) : null;
        if (!Double.isNaN(hi)) {
            i.systemIdHigh = hi;
        }
        if (!Double.isNaN(lo)) {
            i.systemIdLow = lo;
        }
        if (!Double.isNaN(rec)) {
            i.inRecovery = rec;
        }
        if (!Double.isNaN(tl)) {
            i.timelineId = tl;
        }
        i.identityKnown = true;
        i.identitySeenAt = s.collectedAt;
        if (changed) {
            i.identityChangedAt = s.collectedAt;
            identityChangeCounter.inc();
            LOG.info("instance {}: server identity changed at {}: {} -> {}; its counters take a new baseline",
                    s.instance, java.time.Instant.ofEpochMilli(s.collectedAt), old,
                    describeIdentity(i.systemIdHigh, i.systemIdLow, i.inRecovery, i.timelineId));
        }
        info.update(i);
    }

    /** Identity changes counted by this instance of the function (tests, diagnostics). */
    public long identityChangesCounted() {
        return identityChangeCounter == null ? 0 : identityChangeCounter.getCount();
    }

    private static double valueAt(CompactSnapshot s, int row, int catalogColumn) {
        int pos = catalogColumn < 0 ? -1 : CompactSnapshot.positionOf(s.columns, catalogColumn);
        return pos < 0 ? Double.NaN : s.values[row * s.columns.length + pos];
    }

    private static boolean differs(double kept, double seen) {
        return !Double.isNaN(kept) && !Double.isNaN(seen) && kept != seen;
    }

    /** "system_identifier 7312345678901234567, primary, timeline 2" (unknown parts as "?"). */
    static String describeIdentity(double hi, double lo, double rec, double tl) {
        String id = Double.isNaN(hi) || Double.isNaN(lo) ? "?"
                : Long.toUnsignedString(((long) hi << 32) | ((long) lo & 0xFFFF_FFFFL));
        String role = Double.isNaN(rec) ? "role ?" : rec != 0 ? "standby" : "primary";
        return "system_identifier " + id + ", " + role + ", timeline " + (Double.isNaN(tl) ? "?" : (long) tl);
    }

    /**
     * Keeps the server start time of a pg_settings snapshot in the instance state.
     *
     * @param onlyLater whether only a later start than the one kept may replace it (a snapshot
     *     applied out of event-time order, behind the watermark); in order, the newest start wins
     */
    private void noteServerStart(CompactSnapshot s, boolean onlyLater) throws Exception {
        int pos = CompactSnapshot.positionOf(s.columns, SERVER_START_COLUMN);
        if (SERVER_START_COLUMN < 0 || pos < 0 || s.rowKeys.length == 0) {
            return;
        }
        double v = s.values[pos];
        if (Double.isNaN(v)) {
            return;
        }
        InstanceInfo i = info.value();
        if (i == null) {
            i = new InstanceInfo();
        }
        long ms = (long) (v * 1000);
        if (ms != i.serverStartMs && (!onlyLater || ms > i.serverStartMs)) {
            i.serverStartMs = ms;
            info.update(i);
        }
    }

    private void inventory(CompactSnapshot s, Context ctx) throws Exception {
        InstanceInfo i = info.value();
        int labelsHash = Arrays.hashCode(s.instanceLabels);
        boolean fresh = i == null;
        if (fresh) {
            i = new InstanceInfo();
        }
        if (fresh || i.serverVersionNum != s.serverVersionNum || i.labelsHash != labelsHash
                || s.collectedAt - i.lastInventoryAt >= inventoryIntervalMs) {
            i.serverVersionNum = s.serverVersionNum;
            i.labelsHash = labelsHash;
            i.lastInventoryAt = s.collectedAt;
            info.update(i);
            ctx.output(INSTANCES, new InstanceSeen(s.instance, s.instanceLabels, s.serverVersionNum, s.collectedAt));
        }
    }

    private DeadLetterRecord lateLetter(CompactSnapshot s, long wm) {
        byte[] payload = new WireCodec().encode(toSnapshot(s));
        return WireCodec.deadLetter(payload, RejectReason.LATE, "collected_at " + s.collectedAt
                + " is behind the watermark " + wm + " by more than the allowed lateness of " + latenessMs
                + " ms (payload re-encoded from the validated snapshot)", s.instance, lateTopic, null, null, null,
                System.currentTimeMillis());
    }

    /** Rebuilds a wire snapshot from its compact form (for late dead letters). */
    static Snapshot toSnapshot(CompactSnapshot c) {
        ViewDef def = MetricCatalog.view(c.view);
        Snapshot s = def.kind() == dev.datainsight.model.SnapshotKind.STATEMENTS ? new StatementsSnapshot()
                : new MetricsSnapshot();
        s.setInstance(c.instance);
        s.setView(c.view);
        s.setCollectedAt(c.collectedAt);
        s.setServerVersionNum(c.serverVersionNum);
        s.setStatsReset(c.statsReset == CompactSnapshot.NO_RESET ? null : c.statsReset);
        s.setLabels(c.instanceLabelMap());
        String[] cols = def.columns().keySet().toArray(new String[0]);
        List<SnapshotRow> rows = new ArrayList<>();
        for (int r = 0; r < c.rowKeys.length; r++) {
            SnapshotRow row = new SnapshotRow();
            row.setLabels(CompactSnapshot.labelsOf(def, c.rowKeys[r]));
            int nc = c.columns.length;
            for (int j = 0; j < nc; j++) {
                double v = c.values[r * nc + j];
                row.value(cols[c.columns[j]], Double.isNaN(v) ? null : v);
            }
            row.setStatsReset(c.rowStatsReset[r] == CompactSnapshot.NO_RESET ? null : c.rowStatsReset[r]);
            rows.add(row);
        }
        s.setRows(rows);
        return s;
    }
}
