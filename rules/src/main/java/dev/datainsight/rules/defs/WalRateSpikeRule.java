package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.QueryTexts;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.Window;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * <b>wal_rate_spike</b> (per instance): the WAL write rate ({@code pg_stat_wal.wal_bytes},
 * PostgreSQL 14+) over the last 10 min against the instance's own baseline: warning above 4×,
 * critical above 10×, never below an absolute floor of 5 MB/s, and only after 2 h of history.
 * For 5 min.
 *
 * <p>Two baselines, both EWMAs of the rate fed clipped at the warning level (warning × that
 * baseline), so a spike does not learn itself into its own baseline and resolve while it goes on:
 *
 * <ul>
 *   <li>the <b>global</b> one, with a 24 h half-life (the level of the last day); a lasting new
 *       level is still learnt, over hours (a lasting 5× step resolves after about 2.6 h);
 *   <li>the <b>daily pattern</b> ({@code daily_pattern}, on by default): one EWMA per hour of the
 *       day (24 slots, UTC), each updated once a day, when its hour is over, with the mean of
 *       the hour's rates (each clipped at warning × the slot), with a half-life of
 *       {@code daily_half_life} (3 d: a day's hour weighs 21 %). While its hour is on, a slot
 *       holds what the previous days said, so an incident is not learnt into the baseline it is
 *       compared with (a lasting 5× step keeps firing all hour instead of resolving as the slot
 *       catches up). A slot is used, instead of the global baseline, once it has
 *       {@code daily_min_days} (3) days' worth of its hour (3 h of covered time); before that,
 *       and for an hour the collector never saw, the global one is. An empty slot starts from the
 *       global baseline, so a one-off spike moves its slot up by at most ×1.63 (a whole hour at
 *       4×, clipped), which the next quiet days undo. So a batch at 02:00 every night pages the
 *       first three nights (against the global baseline), then its slot has learnt it: a 40 min
 *       batch at 15× the day's rate is quiet from night four or five (WalRateSpikeDailyTest),
 *       while the same rate at 14:00 still pages against the 14:00 slot.
 *       Slots are UTC hours: a batch scheduled in local time moves by an hour at a DST change
 *       and its new slot relearns it (it may page on that night or two).
 * </ul>
 *
 * <p>A stats reset of the view restarts the window, not the baselines. State per instance: the
 * window (at most 400 samples), the global baseline (3 numbers) and the 24 slots with the hour
 * being observed (25 times and 50 numbers, about 600 bytes): a {@code Memory} each, fixed in size, and, like every rule memory,
 * dropped when the instance sends no pg_stat_wal for 6 h (the slots then learn again).
 *
 * <p>Why: WAL volume is what fills pg_wal, the archive and the standbys' network, and what drives
 * checkpoints; a sudden multiple of the usual volume is a runaway batch, a full-page-write storm
 * after a checkpoint setting change, or an index rebuild, and it is visible here before
 * checkpoint_spike's requested checkpoints or the disk alerts. A ratio alone pages on quiet
 * servers (10 kB/s to 100 kB/s is ×10 of nothing), hence the floor: 5 MB/s is 18 GB/h of WAL, a
 * volume a small disk or an archive link feels. The postgres_exporter mixin pages on a fixed
 * level instead (PostgresXLOGConsumptionVeryHigh: over 35 MiB/s for 10 min on a primary), which is
 * normal for a big server and never reached by a small one. Scheduled work (nightly loads, VACUUM or REINDEX
 * windows, reports) is the usual cause of a big multiple at a fixed hour and is not news once
 * seen a few nights, hence the daily slots; three days are enough for a daily job to count as
 * the usual and few enough that a new one is only paged on for a couple of nights. The context
 * names the statements that wrote the most WAL over the window. Replica-aware
 * ({@code on_standbys}): a standby writes no WAL of its own.
 */
public final class WalRateSpikeRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "10m",
            "window of the WAL rate");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 4.0,
            "WAL rate above this many times its baseline (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 10.0,
            "WAL rate above this many times its baseline (critical)");
    public static final ParamDef<Double> MIN_RATE = ParamDef.bytes("min_rate", "5MB",
            "WAL per second below which the rule stays silent, whatever the ratio");
    public static final ParamDef<Duration> BASELINE_HALF_LIFE = ParamDef.duration("baseline_half_life", "24h",
            "half-life of the rate baseline (EWMA)");
    public static final ParamDef<Duration> BASELINE_WARMUP = ParamDef.duration("baseline_warmup", "2h",
            "history needed before the rule can fire");
    public static final ParamDef<Boolean> DAILY = ParamDef.bool("daily_pattern", true,
            "compare with the baseline of the same hour of the day (UTC) once that hour has enough history");
    public static final ParamDef<Duration> DAILY_HALF_LIFE = ParamDef.duration("daily_half_life", "3d",
            "half-life of an hour-of-day baseline, in days of that hour");
    public static final ParamDef<Double> DAILY_MIN_DAYS = ParamDef.number("daily_min_days", 3.0,
            "days of samples an hour-of-day baseline needs before it replaces the global one");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "wal_rate_spike";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_stat_wal", "pg_stat_statements")
                .detects("WAL written per second (10 min window) far above the instance's own baseline: 4x warns, "
                        + "10x is critical, never below 5 MB/s. The baseline is that hour of the day's (24 UTC slots) "
                        + "once the hour has 3 days of history, else the last day's. PostgreSQL 14+ (pg_stat_wal).")
                .why("WAL volume fills pg_wal, the archive and the standby links and drives checkpoints; a multiple "
                        + "of the usual is a runaway write. The floor keeps quiet servers quiet; the baselines are fed "
                        + "clipped, so a spike is not learnt into them. A nightly batch pages the first three nights, "
                        + "then its hour has learnt it and it stops; the same rate at another hour still pages.")
                .context("up to 3 `statement` items: the top statements by wal_bytes over the statements window "
                        + "(all databases), with their texts.")
                .runbook("Find the writer (the context's statements, pg_stat_activity); a bulk load or index build "
                        + "may be expected: check pg_wal space, the archiver and the standbys keep up.")
                .param(WINDOW)
                .param(WARNING)
                .param(CRITICAL)
                .param(MIN_RATE)
                .param(BASELINE_HALF_LIFE)
                .param(BASELINE_WARMUP)
                .param(DAILY)
                .param(DAILY_HALF_LIFE)
                .param(DAILY_MIN_DAYS)
                .param(Standbys.ON_STANDBYS)
                .param(TopStatements.WINDOW)
                .param(QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if (TopStatements.isStatements(s)) {
            TopStatements.observe(s, ctx, "wal_bytes", false);
            return;
        }
        if (s.getRows().isEmpty()) {
            return;
        }
        SnapshotRow row = s.getRows().get(0);
        Double wal = Rows.val(row, "wal_bytes");
        if (wal == null) {
            return;
        }
        Params p = ctx.params(row.getLabels());
        if (Standbys.skip(ctx, p)) {
            return;
        }
        long window = p.millis(WINDOW);
        Memory w = Window.add(ctx.memory("w"), 1, ctx.now(), new Double[] {wal}, true,
                Rows.reset(s.getStatsReset()), window, 400, null);
        ctx.remember("w", w);
        long span = Window.span(w);
        if (span < window / 2) {
            return; // too little of a window yet (start, or just after a reset)
        }
        double rate = Window.delta(w, 1, 0) * 1000.0 / span;
        Double warn = p.number(WARNING);
        Double crit = p.number(CRITICAL);
        // Global baseline: t[0] first update, t[1] last update; v[0] the EWMA of the clipped rate.
        Memory b = ctx.memory("b");
        double global;
        boolean warm;
        long dt;
        if (b == null || b.v.length < 1) {
            b = Memory.of(new long[] {ctx.now(), ctx.now()}, new double[] {rate});
            global = rate;
            warm = false;
            dt = 0;
        } else {
            global = b.v[0];
            warm = ctx.now() - b.t[0] >= p.millis(BASELINE_WARMUP);
            dt = ctx.now() - b.t[1];
            double clip = warn != null && global > 0 ? Math.min(rate, warn * global) : rate;
            double alpha = 1 - Math.exp(-Math.log(2) * dt / p.millis(BASELINE_HALF_LIFE));
            b = Memory.of(new long[] {b.t[0], ctx.now()}, new double[] {b.v[0] + alpha * (clip - b.v[0])});
        }
        ctx.remember("b", b);
        double baseline = global;
        String which = "its baseline";
        if (p.bool(DAILY)) {
            int slot = Daily.slot(ctx.now());
            Memory d = Daily.valid(ctx.memory("d"));
            if (Daily.ready(d, slot, p.number(DAILY_MIN_DAYS))) {
                baseline = d.v[slot];
                which = String.format(java.util.Locale.ROOT, "the %02d:00-%02d:00 UTC baseline", slot, (slot + 1) % 24);
            }
            // Learnt after use: this sample is compared with what the slot knew before it.
            ctx.remember("d", Daily.learn(d, ctx.now(), rate, global, warn, Math.min(dt, window),
                    p.millis(DAILY_HALF_LIFE) / 86_400_000.0));
        } else {
            ctx.forget("d");
        }
        double floor = p.number(MIN_RATE);
        boolean eligible = warm && rate >= floor;
        // A server that wrote no WAL at all has a zero baseline: any rate past the floor is a spike.
        double ratio = rate / Math.max(baseline, 1.0);
        Severity level = !eligible ? null
                : crit != null && ratio > crit ? Severity.CRITICAL
                : warn != null && ratio > warn ? Severity.WARNING : null;
        AlertContext context = null;
        String tail = "";
        if (level != null) {
            context = AlertContext.create();
            List<TopStatements.Entry> top = TopStatements.top(ctx, TopStatements.ALL);
            TopStatements.addTo(context, top, "wal", Fmt::bytes, Fmt.duration(p.millis(TopStatements.WINDOW)));
            tail = TopStatements.mostBy(top, v -> Fmt.bytes(v) + " of WAL", p.number(QueryTexts.SUMMARY_CHARS).intValue());
        }
        ctx.alert(p, Map.of(), level, rate, warn == null ? null : warn * baseline, crit == null ? null : crit * baseline,
                "WAL is written at " + Fmt.bytes(rate) + "/s over the last " + Fmt.duration(window)
                        + (warm ? String.format(java.util.Locale.ROOT, ", %.1fx %s of %s/s", ratio, which,
                                Fmt.bytes(baseline)) : " (baseline still warming up)") + tail,
                "The WAL rate (pg_stat_wal.wal_bytes) is far above the instance's own recent level.", context);
    }

    /**
     * The hour-of-day baselines in one {@link Memory}: {@code v[h]} the EWMA of slot h (UTC hour
     * h), {@code v[24 + h]} the time slot h has seen, in hours (one day's full hour adds 1),
     * {@code t[h]} when slot h was last folded (0 = never; event times are past 1970). The hour
     * being observed is accumulated apart and folded into its slot once the next hour begins, so
     * a slot only changes once a day and holds what previous days said while its hour is on:
     * {@code t[24]} the start of that hour (epoch ms), {@code v[48]} the sum of its clipped rates
     * times the time each covered, {@code v[49]} the time covered (ms). Fixed size, so a memory of
     * another shape (none yet, a later layout) starts empty.
     */
    static final class Daily {
        static final int SLOTS = 24;
        private static final long HOUR_MS = 3_600_000L;

        private Daily() {}

        static int slot(long epochMs) {
            return (int) Math.floorMod(Math.floorDiv(epochMs, HOUR_MS), (long) SLOTS);
        }

        static Memory valid(Memory d) {
            return d != null && d.t.length == SLOTS + 1 && d.v.length == 2 * SLOTS + 2 ? d : null;
        }

        static boolean ready(Memory d, int slot, double minDays) {
            return d != null && d.t[slot] != 0 && d.v[SLOTS + slot] >= minDays;
        }

        /**
         * Adds one sample covering {@code dt} ms to the hour being observed, clipped at warning ×
         * its slot's value (× the global baseline while the slot is empty); first folds the
         * previous hour into its slot when {@code now} is in another hour. A fold moves the slot
         * towards the hour's mean with weight {@code 1 - 2^(-covered hours / halfLifeDays)}; an
         * empty slot starts from the global baseline.
         */
        static Memory learn(Memory d, long now, double rate, double global, Double warn, long dt, double halfLifeDays) {
            Memory m = new Memory();
            m.t = d == null ? new long[SLOTS + 1] : d.t.clone();
            m.v = d == null ? new double[2 * SLOTS + 2] : d.v.clone();
            long hour = Math.floorDiv(now, HOUR_MS) * HOUR_MS;
            if (d != null && m.t[SLOTS] != hour) {
                int prev = slot(m.t[SLOTS]);
                double covered = m.v[2 * SLOTS + 1];
                if (covered > 0) {
                    double mean = m.v[2 * SLOTS] / covered;
                    double cur = m.t[prev] == 0 ? global : m.v[prev];
                    double alpha = 1 - Math.pow(0.5, covered / HOUR_MS / halfLifeDays);
                    m.v[prev] = cur + alpha * (mean - cur);
                    m.v[SLOTS + prev] += covered / HOUR_MS;
                    m.t[prev] = m.t[SLOTS] + HOUR_MS;
                }
                m.v[2 * SLOTS] = 0;
                m.v[2 * SLOTS + 1] = 0;
            }
            m.t[SLOTS] = hour;
            if (dt > 0) {
                int slot = slot(now);
                double ref = m.t[slot] == 0 ? global : m.v[slot];
                double clip = warn != null && ref > 0 ? Math.min(rate, warn * ref) : rate;
                m.v[2 * SLOTS] += clip * dt;
                m.v[2 * SLOTS + 1] += dt;
            }
            return m;
        }
    }
}
