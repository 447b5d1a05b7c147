package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalBytes;
import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.Window;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * <b>wal_ready_backlog</b> (per instance), from the {@code pg_stat_archiver} row: two series.
 *
 * <p><b>Level</b> (no labels): {@code ready_count}, the WAL segments waiting to be archived
 * (.ready files). Warning above 128 segments, critical above 1024; the summary gives the WAL
 * directory's size ({@code wal_dir_bytes}).
 *
 * <p><b>Growth</b> (label {@code trend=growing}): the backlog or the WAL directory growing
 * steadily over {@code growth_window} (15 min): the window covered to 90 %, a total rise of at
 * least {@code growth_min_segments} (16) .ready segments or {@code growth_min_bytes} (1 GB) of
 * pg_wal, and a rise in each third of the window (a burst that then stands still, or a backlog
 * that drains and refills, is not steady growth). pg_wal's growth only counts while pg_wal is
 * larger than max_wal_size ({@code pg_settings}; 1 GB, its default, until the settings are seen):
 * below that, PostgreSQL itself recycles the segments at the next checkpoint. Warning; critical
 * when pg_wal, at the rate of the window, reaches {@code wal_dir_limit} (unset by default: the
 * size of the pg_wal volume, which the collector cannot see) within
 * {@code growth_critical_within} (1 h). The summary gives the rate and the time to reach the
 * backlog's critical level and, when set, wal_dir_limit. With the rule's {@code for} (10 min) a
 * growth pages 25 min after it started.
 *
 * <p>Why: archiving keeps up when the backlog stays at a few segments; a growing one means
 * archive_command is slower than the WAL written (or failing: see archiver_failing), and every
 * waiting segment stays in pg_wal. 128 segments is 2 GB at the default 16 MB segment size, a
 * backlog archiving does not reach in normal operation; 1024 (16 GB) is where a pg_wal volume
 * sized for max_wal_size is at risk. The level alone pages late on a big volume and early on a
 * small one; the trend says how long is left: 16 segments in 15 min is archiving falling behind
 * by a segment a minute, more than the jitter of an archiver that pushes in batches; 1 GB in 15
 * min above max_wal_size is WAL kept for a reason other than checkpoints (the archive, a slot,
 * wal_keep_size) piling up at over 1 MB/s. With {@code for} (10 min) a burst of WAL that
 * archiving drains (a bulk load) does not page. Evaluated on standbys too
 * ({@code archive_mode = always}).
 */
public final class WalReadyBacklogRule extends Rule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 128.0,
            "segments waiting to be archived above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 1024.0,
            "segments waiting to be archived above which it is critical");
    public static final ParamDef<Duration> GROWTH_WINDOW = ParamDef.duration("growth_window", "15m",
            "window over which the backlog or pg_wal must grow steadily (0s: no growth check)");
    public static final ParamDef<Double> GROWTH_MIN_SEGMENTS = optionalNumber("growth_min_segments", 16.0,
            ".ready segments the backlog must gain over growth_window");
    public static final ParamDef<Double> GROWTH_MIN_BYTES = optionalBytes("growth_min_bytes", "1GB",
            "bytes pg_wal must gain over growth_window (while larger than max_wal_size)");
    public static final ParamDef<Double> WAL_DIR_LIMIT = optionalBytes("wal_dir_limit", null,
            "size pg_wal must not reach (its volume): the summary gives the time to it, and it is critical when near");
    public static final ParamDef<Duration> GROWTH_CRITICAL_WITHIN = ParamDef.duration("growth_critical_within", "1h",
            "pg_wal growing into wal_dir_limit within this is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "wal_ready_backlog";
    /** The growth series' labels. */
    static final Map<String, String> GROWTH = Map.of("trend", "growing");
    /** max_wal_size's default, used until pg_settings is seen. */
    private static final double DEFAULT_MAX_WAL_SIZE = 1024.0 * 1024 * 1024;
    private static final int MAX_SAMPLES = 120;

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "10m", "5m")
                .views("pg_stat_archiver", "pg_settings")
                .detects("WAL segments piling up waiting for archive_command (archiving slower than WAL is written): "
                        + "a backlog above 128 / 1024 segments, or the backlog or pg_wal (above max_wal_size) growing "
                        + "steadily over 15 min, with the time left.")
                .why("A keeping-up archiver leaves a few .ready segments; 128 (2 GB at 16 MB segments) is a backlog "
                        + "normal operation does not reach, 1024 (16 GB) endangers a pg_wal sized for max_wal_size. "
                        + "The trend pages before the level and says how long is left: 16 segments / 15 min is "
                        + "archiving a segment a minute behind, 1 GB / 15 min of pg_wal past max_wal_size is WAL kept "
                        + "for the archive or a slot at over 1 MB/s. 10 min of `for` lets a bulk load's burst drain.")
                .runbook("Check archiver_failing and replication_slot first; otherwise make archive_command faster "
                        + "(parallel or asynchronous archiving in the backup tool, compression off the critical path). "
                        + "Set wal_dir_limit to the pg_wal volume's size for a time to full.")
                .param(WARNING)
                .param(CRITICAL)
                .param(GROWTH_WINDOW)
                .param(GROWTH_MIN_SEGMENTS)
                .param(GROWTH_MIN_BYTES)
                .param(WAL_DIR_LIMIT)
                .param(GROWTH_CRITICAL_WITHIN)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_settings".equals(s.getView())) {
            if (!s.getRows().isEmpty()) {
                Double max = Rows.val(s.getRows().get(0), "max_wal_size_bytes");
                if (max != null) {
                    ctx.remember("s", Memory.of(new long[0], new double[] {max}));
                }
            }
            return;
        }
        if (s.getRows().isEmpty()) {
            return;
        }
        SnapshotRow row = s.getRows().get(0);
        Params p = ctx.params(row.getLabels());
        Double ready = Rows.val(row, "ready_count");
        Double dir = Rows.val(row, "wal_dir_bytes");
        if (ready != null) {
            level(row, ready, dir, p, ctx);
        }
        growth(ready, dir, p, ctx);
    }

    private void level(SnapshotRow row, double v, Double dir, Params p, RuleContext ctx) throws Exception {
        Double w = p.number(WARNING);
        Double c = p.number(CRITICAL);
        Severity level = c != null && v > c ? Severity.CRITICAL : w != null && v > w ? Severity.WARNING : null;
        ctx.alert(p, Map.of(), level, v, w, c,
                Fmt.num(v) + " WAL segment(s) waiting to be archived" + (dir == null ? "" : "; pg_wal holds "
                        + Fmt.bytes(dir)),
                definition().detects());
    }

    private void growth(Double ready, Double dir, Params p, RuleContext ctx) throws Exception {
        long window = p.millis(GROWTH_WINDOW);
        if (window <= 0) {
            ctx.forget("r");
            ctx.forget("d");
            return;
        }
        Memory r = ready == null ? null
                : Window.add(ctx.memory("r"), 1, ctx.now(), new Double[] {ready}, false, 0, window, MAX_SAMPLES, null);
        Memory d = dir == null ? null
                : Window.add(ctx.memory("d"), 1, ctx.now(), new Double[] {dir}, false, 0, window, MAX_SAMPLES, null);
        store(ctx, "r", r);
        store(ctx, "d", d);
        Memory set = ctx.memory("s");
        double maxWal = set != null && set.v.length == 1 ? set.v[0] : DEFAULT_MAX_WAL_SIZE;
        Double minSeg = p.number(GROWTH_MIN_SEGMENTS);
        Double minBytes = p.number(GROWTH_MIN_BYTES);
        boolean backlog = minSeg != null && steady(r, window, minSeg);
        boolean wal = minBytes != null && dir != null && dir > maxWal && steady(d, window, minBytes);
        List<String> parts = new ArrayList<>();
        Severity level = null;
        Double value = null;
        if (backlog) {
            level = Severity.WARNING;
            double perMin = Window.delta(r, 1, 0) * 60_000.0 / Window.span(r);
            value = Window.delta(r, 1, 0);
            Double crit = p.number(CRITICAL);
            parts.add("The archive backlog grows by " + Fmt.num(Window.delta(r, 1, 0)) + " segment(s) in "
                    + Fmt.duration(Window.span(r)) + " (" + String.format(java.util.Locale.ROOT, "%.1f", perMin)
                    + "/min), " + Fmt.num(ready) + " waiting"
                    + (crit != null && ready < crit
                            ? "; at this rate " + Fmt.num(crit) + " (critical) in " + Fmt.secs((crit - ready) / perMin * 60)
                            : ""));
        }
        if (wal) {
            level = level == null ? Severity.WARNING : level;
            double perSec = Window.delta(d, 1, 0) * 1000.0 / Window.span(d);
            value = value == null ? Window.delta(d, 1, 0) : value;
            Double limit = p.number(WAL_DIR_LIMIT);
            String eta = "";
            if (limit != null) {
                double secs = Math.max(0, (limit - dir) / perSec);
                eta = "; at this rate it reaches " + Fmt.bytes(limit) + " (wal_dir_limit) in " + Fmt.secs(secs);
                if (secs * 1000 <= p.millis(GROWTH_CRITICAL_WITHIN)) {
                    level = Severity.CRITICAL;
                }
            }
            parts.add("pg_wal grows by " + Fmt.bytes(Window.delta(d, 1, 0)) + " in " + Fmt.duration(Window.span(d))
                    + " (" + Fmt.bytes(perSec) + "/s) and holds " + Fmt.bytes(dir) + ", past max_wal_size "
                    + Fmt.bytes(maxWal) + eta);
        }
        String summary = parts.isEmpty() ? "Neither the archive backlog nor pg_wal is growing steadily"
                : String.join("; ", parts);
        ctx.alert(p, GROWTH, level, value, null, null, summary,
                "WAL waiting to be archived (pg_wal/archive_status .ready files) or the WAL directory "
                        + "(pg_ls_waldir) growing steadily.");
    }

    private static void store(RuleContext ctx, String key, Memory m) throws Exception {
        if (m != null) {
            ctx.remember(key, m);
        }
    }

    /**
     * Whether the window (covered to 90 %) rose by at least {@code min} in total and in each of
     * its thirds (by time: the last sample at or before each third's start and end).
     */
    static boolean steady(Memory w, long window, double min) {
        int n = Window.size(w);
        if (n < 4 || Window.span(w) < window * 9 / 10 || Window.delta(w, 1, 0) < min) {
            return false;
        }
        long t0 = w.t[0];
        long span = Window.span(w);
        for (int k = 0; k < 3; k++) {
            if (at(w, t0 + span * (k + 1) / 3) <= at(w, t0 + span * k / 3)) {
                return false;
            }
        }
        return true;
    }

    /** The value of the last sample at or before {@code t}. */
    private static double at(Memory w, long t) {
        double v = w.v[0];
        for (int i = 0; i < w.t.length && w.t[i] <= t; i++) {
            v = w.v[i];
        }
        return v;
    }
}
