package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalBytes;
import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.AlertContext;
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
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * <b>db_growth</b> (per database): {@code pg_database.size_bytes}, sampled once per 15 min over the
 * last 24 h. Warning when the database grew more than 15 % (and at least 100 MB) against the
 * oldest sample of the window (after at least 1 h of history), or when a configured
 * {@code size_limit} is reached within 7 days by a least-squares linear forecast over the window.
 * The summary says "grew X% (Y MB) in Z h".
 *
 * <p>Minute-rate test: exact sizes arrive every {@code sizes_interval} (5 min), so between them the
 * rule estimates growth from the tables probe (each slow cycle): per table, the change of
 * {@code total_size_bytes} (relpages-based) divided by the time since its previous VACUUM/ANALYZE
 * (when relpages last moved), summed over the database's tables seen in consecutive cycles whose size
 * moved within 2 × {@code burst_window}. Warning when that rate exceeds {@code burst_floor} per minute and
 * {@code burst_ratio} × the database's own rate (a time-weighted average over {@code burst_baseline},
 * not updated while the test holds). Each exact size confirms the estimate, or withdraws it until the
 * next exact size when the database grew less than half of what the estimate claimed between the two
 * latest exact sizes (the tables are part of the database, so their growth is a lower bound); the exact
 * rate itself also feeds the test (and is its only input when no tables are seen). Limitation: only the
 * collector's top-N tables are seen, and a table growing without being analysed shows its growth late
 * (autovacuum's insert and analyze thresholds keep a runaway table's relpages within minutes).
 *
 * <p>The context names the fastest-growing tables of the database: from {@code pg_stat_user_tables}
 * ({@code total_size_bytes}, the collector's top-N tables), one size sample per table every
 * {@code sample_every} or window / 24, whichever is longer, and per database the top 3 tables by
 * growth since their oldest sample in the window (memories {@code tb|...} and {@code ttop|<datname>}).
 *
 * <p>Why: pgmonitor and pgHero track day-over-day growth; 15 %/day is a runaway (a logging table, a
 * bloat storm) rather than business growth. The 100 MB floor keeps tiny databases quiet. The
 * forecast is off until a size limit (disk, quota) is configured per instance. Not evaluated on
 * standbys ({@code on_standbys}, {@link Standbys}): a standby's databases are the primary's,
 * replayed, so their growth would page once per standby.
 */
public final class DbGrowthRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "24h", "growth window");
    public static final ParamDef<Duration> SAMPLE_EVERY = ParamDef.duration("sample_every", "15m",
            "keep one size sample per this interval");
    public static final ParamDef<Duration> MIN_HISTORY = ParamDef.duration("min_history", "1h",
            "history needed before the rule applies");
    public static final ParamDef<Double> MIN_GROWTH = ParamDef.bytes("min_growth", "100MB",
            "absolute growth below which the rule stays silent");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.15,
            "growth over the window as a share of the starting size");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null, "growth share that is critical");
    public static final ParamDef<Double> SIZE_LIMIT = optionalBytes("size_limit", null,
            "size the forecast checks against (null = forecast off)");
    public static final ParamDef<Duration> FORECAST_HORIZON = ParamDef.duration("forecast_horizon", "7d",
            "warn when the forecast reaches size_limit within this time");

    public static final ParamDef<Double> BURST_FLOOR = optionalBytes("burst_floor", "50MB",
            "growth per minute below which the minute-rate test stays silent (null = minute test off)");
    public static final ParamDef<Double> BURST_RATIO = ParamDef.number("burst_ratio", 4.0,
            "growth per minute, as a multiple of the database's own recent rate, that warns");
    public static final ParamDef<Duration> BURST_WINDOW = ParamDef.duration("burst_window", "3m",
            "a table's estimated rate counts while its size last moved (VACUUM/ANALYZE) within twice this");
    public static final ParamDef<Duration> BURST_BASELINE = ParamDef.duration("burst_baseline", "1h",
            "time constant of the database's own recent rate (an average over about this long)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "db_growth";
    private static final int MAX_SAMPLES = 200;

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "1m", "1h")
                .views("pg_database", "pg_stat_user_tables")
                .detects("A database growing fast (share of its size per day, or MB per minute against its own "
                        + "recent rate), or forecast to reach a size limit soon.")
                .why("pgmonitor / pgHero watch day-over-day growth; > 15% in 24 h is a runaway, not business growth. "
                        + "Exact sizes come every `sizes_interval` (5 min), too rarely for a load filling hundreds of MB "
                        + "a minute, so a minute-rate test also reads the tables probe (every slow cycle): each table's "
                        + "relpages growth over the time since its previous VACUUM/ANALYZE (when relpages moves), "
                        + "summed over the database's tables analysed within 2 x `burst_window`. It warns above `burst_floor` per minute (50 MB/min fills 70 GB a day) and "
                        + "`burst_ratio` (4) times the database's own rate (averaged over `burst_baseline`, frozen while "
                        + "the test holds), so a database that always grows fast stays quiet. The next exact size "
                        + "confirms it (or, if the database grew less than half what the estimate claimed since the "
                        + "previous exact size, withdraws the estimate until the following one); exact sizes feed the "
                        + "same test. `for` is 1m (two slow cycles of the estimate; the day test moves slowly "
                        + "anyway), so a runaway pages about 2 min after the tables first show it. "
                        + "The forecast needs a configured size_limit. A standby's databases are the primary's, so "
                        + "standbys are skipped (`on_standbys`).")
                .context("up to 3 `table` items: the database's fastest-growing tables over the window (growth, "
                        + "over how long, size now), from the tables probe's total_size_bytes; the summary names the first.")
                .runbook("Find the growing relations (pg_total_relation_size over time in the store), check for "
                        + "bloat (autovacuum_lag), runaway logging tables, or forgotten partitions.")
                .param(WINDOW)
                .param(SAMPLE_EVERY)
                .param(MIN_HISTORY)
                .param(MIN_GROWTH)
                .param(WARNING)
                .param(CRITICAL)
                .param(SIZE_LIMIT)
                .param(FORECAST_HORIZON)
                .param(BURST_FLOOR)
                .param(BURST_RATIO)
                .param(BURST_WINDOW)
                .param(BURST_BASELINE)
                .param(Standbys.ON_STANDBYS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_user_tables".equals(s.getView())) {
            observeTables(s, ctx);
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double size = Rows.val(row, "size_bytes");
            if (db.isEmpty() || size == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            if (Standbys.skip(ctx, p)) {
                continue;
            }
            long now = ctx.now();
            Memory m = ctx.memory(db);
            if (m == null) {
                m = new Memory();
            }
            int n = m.t.length;
            if (n > 0 && now <= m.t[n - 1]) {
                continue;
            }
            if (n == 0 || now - m.t[n - 1] >= p.millis(SAMPLE_EVERY)) {
                m.t = Arrays.copyOf(m.t, n + 1);
                m.v = Arrays.copyOf(m.v, n + 1);
                m.t[n] = now;
                m.v[n] = size;
                int drop = 0;
                while (m.t.length - drop > 2 && (m.t[drop + 1] <= now - p.millis(WINDOW)
                        || m.t.length - drop > MAX_SAMPLES)) {
                    drop++;
                }
                m.t = Arrays.copyOfRange(m.t, drop, m.t.length);
                m.v = Arrays.copyOfRange(m.v, drop, m.v.length);
            }
            m.touched = now;
            ctx.remember(db, m);
            long span = now - m.t[0];
            double start = m.v[0];
            double grew = size - start;
            double share = start > 0 ? grew / start : 0;
            boolean history = span >= p.millis(MIN_HISTORY);
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            boolean big = grew >= p.number(MIN_GROWTH);
            Severity level = history && big && c != null && share > c ? Severity.CRITICAL
                    : history && big && w != null && share > w ? Severity.WARNING : null;
            String forecast = "";
            Double limit = p.number(SIZE_LIMIT);
            if (limit != null && history && m.t.length >= 2) {
                double slope = slope(m, now, size); // bytes per ms
                if (size >= limit) {
                    level = Severity.CRITICAL;
                    forecast = "; already at the size limit " + Fmt.bytes(limit);
                } else if (slope > 0) {
                    double eta = (limit - size) / slope;
                    if (eta <= p.millis(FORECAST_HORIZON)) {
                        level = level == null ? Severity.WARNING : level;
                        forecast = String.format(Locale.ROOT, "; reaches the size limit %s in about %.1f days",
                                Fmt.bytes(limit), eta / 86_400_000.0);
                    }
                }
            }
            Burst b = Burst.load(ctx, db);
            b.exact(p, now, size);
            b.dayLevel = level == null ? 0 : level == Severity.CRITICAL ? 2 : 1;
            b.dayShare = share;
            b.daySummary = String.format(Locale.ROOT, "Database %s grew %s (%s) in %.1f h, now %s", db,
                    Fmt.pct(share), Fmt.bytes(grew), span / 3_600_000.0, Fmt.bytes(size)) + forecast;
            report(ctx, p, db, b, now);
        }
    }

    /** Reports the series from whichever signal arrived: the day test's last verdict, the minute test's now. */
    private static void report(RuleContext ctx, Params p, String db, Burst b, long now) throws Exception {
        Severity day = b.dayLevel == 2 ? Severity.CRITICAL : b.dayLevel == 1 ? Severity.WARNING : null;
        boolean was = b.holding;
        boolean burst = b.holds(p);
        b.holding = burst;
        b.save(ctx, db, now);
        if (b.daySummary == null && !burst && !was) {
            return; // no exact size yet and nothing to say
        }
        Severity level = day != null ? day : burst ? Severity.WARNING : null;
        AlertContext context = null;
        String fastest = "";
        if (level != null) {
            context = AlertContext.create();
            fastest = tablesContext(ctx, db, context);
        }
        String summary;
        Double value;
        Double w;
        Double c;
        if (burst && day == null || b.daySummary == null) {
            summary = b.burstSummary(db);
            value = b.rate() * MINUTE_MS;
            Double floor = p.number(BURST_FLOOR);
            w = floor == null ? null : Math.max(floor, p.number(BURST_RATIO) * b.baseline * MINUTE_MS);
            c = null;
        } else {
            summary = b.daySummary + (burst ? "; " + b.burstSummary(db) : "");
            value = b.dayShare;
            w = p.number(WARNING);
            c = p.number(CRITICAL);
        }
        ctx.alert(p, Map.of("datname", db), level, value, w, c, summary + fastest,
                "Fast growth fills disks and often means bloat or a runaway table.", context);
    }

    private static final long MINUTE_MS = 60_000L;

    /**
     * The minute-rate test's state per database (memory {@code bs|<datname>}): the fast signal's
     * estimated rate (sum of the tables' rates), the last exact size, the database's own rate, and the day test's last verdict.
     */
    static final class Burst {
        long lastFastT;
        long lastExactT;
        long baseStartT;
        long lastRateT;
        double fastRate;
        boolean hasFast;
        double lastExactSize = Double.NaN;
        /** The database's own recent rate, bytes per ms. */
        double baseline;
        /** The exact growth since the previous exact size refuted the fast estimate (until the next exact size). */
        boolean refuted;
        /** The latest exact size confirmed the fast estimate (grew at least half of what it claimed). */
        boolean confirmed;
        /** Exact rate between the two latest exact sizes, bytes per ms; NaN when none. */
        double exactRate = Double.NaN;
        boolean holding;
        /** Growth the fast estimate claimed since the last exact size, bytes. */
        double fastGrowth;
        /** Whether the fast estimate alone held the test since the last exact size. */
        boolean fastHeld;
        int dayLevel;
        double dayShare;
        String daySummary;

        static Burst load(RuleContext ctx, String db) throws Exception {
            Burst b = new Burst();
            Memory m = ctx.memory("bs|" + db);
            if (m != null && m.t.length >= 4 && m.v.length >= 9) {
                b.lastFastT = m.t[0];
                b.lastExactT = m.t[1];
                b.baseStartT = m.t[2];
                b.lastRateT = m.t[3];
                b.fastRate = m.v[0];
                b.hasFast = m.v[8] != 0;
                b.fastGrowth = m.v.length > 9 ? m.v[9] : 0;
                b.fastHeld = m.v.length > 10 && m.v[10] != 0;
                b.confirmed = m.v.length > 11 && m.v[11] != 0;
                b.lastExactSize = m.v[1];
                b.baseline = m.v[2];
                b.refuted = m.v[3] != 0;
                b.exactRate = m.v[4];
                b.holding = m.v[5] != 0;
                b.dayLevel = (int) m.v[6];
                b.dayShare = m.v[7];
                b.daySummary = m.text;
            }
            return b;
        }

        void save(RuleContext ctx, String db, long now) throws Exception {
            Memory m = Memory.of(new long[] {lastFastT, lastExactT, baseStartT, lastRateT},
                    new double[] {fastRate, lastExactSize, baseline, refuted ? 1 : 0, exactRate, holding ? 1 : 0,
                            dayLevel, dayShare, hasFast ? 1 : 0,
                            fastGrowth, fastHeld ? 1 : 0, confirmed ? 1 : 0});
            m.text = daySummary;
            m.touched = now;
            ctx.remember("bs|" + db, m);
        }

        /** A fast point: the tables' estimated rate (bytes per ms), NaN on the first cycle (no previous sizes). */
        void fast(Params p, long now, double rate) {
            if (now <= lastFastT) {
                return;
            }
            if (!Double.isNaN(rate) && lastFastT > 0) {
                fastRate = rate;
                hasFast = true;
                fastGrowth += Math.max(rate, 0) * (now - lastFastT);
                learn(p, now, rate, now - lastFastT);
            }
            lastFastT = now;
        }

        /** An exact size: confirms or withdraws the fast estimate, and is a rate point itself. */
        void exact(Params p, long now, double size) {
            if (lastExactT > 0 && now > lastExactT && !Double.isNaN(lastExactSize)
                    && now - lastExactT <= 6 * p.millis(BURST_BASELINE)) {
                exactRate = (size - lastExactSize) / (now - lastExactT);
                // the tables are part of the database: its exact growth is at least theirs, give or take
                refuted = fastHeld && size - lastExactSize < 0.5 * fastGrowth;
                confirmed = fastHeld && !refuted;
                if (!hasFast) {
                    learn(p, now, exactRate, now - lastExactT); // no fast signal: the exact sizes are the rate
                }
            } else {
                exactRate = Double.NaN;
                refuted = false;
                confirmed = false;
            }
            lastExactT = now;
            lastExactSize = size;
            fastGrowth = 0;
            fastHeld = false;
        }

        /** Folds a rate into the database's own rate, unless the test holds (the runaway is not learnt). */
        private void learn(Params p, long now, double rate, long dt) {
            if (now <= lastRateT) {
                return;
            }
            if (baseStartT == 0) {
                baseStartT = now - dt;
            }
            if (!holding) {
                // time-weighted mean until burst_baseline of history, then an exponential average over it
                double tau = p.millis(BURST_BASELINE);
                double weight = Math.min(1.0, (double) dt / Math.max(dt, Math.min(tau, now - baseStartT)));
                weight = Math.max(weight, 1 - Math.exp(-dt / tau));
                baseline += weight * (Math.max(rate, 0) - baseline);
            }
            lastRateT = now;
        }

        /** The fast estimate (bytes per ms), or, without a fast signal, the exact rate. */
        double rate() {
            if (fastSignal()) {
                return fastRate;
            }
            return Double.isNaN(exactRate) ? 0 : exactRate;
        }

        boolean fastSignal() {
            return hasFast;
        }

        boolean holds(Params p) {
            Double floor = p.number(BURST_FLOOR);
            if (floor == null) {
                return false;
            }
            double threshold = Math.max(floor, p.number(BURST_RATIO) * baseline * MINUTE_MS);
            boolean fastHolds = fastSignal() && !refuted && rate() * MINUTE_MS > threshold;
            boolean exactHolds = !Double.isNaN(exactRate) && exactRate * MINUTE_MS > threshold;
            fastHeld |= fastHolds;
            return fastHolds || exactHolds;
        }

        String burstSummary(String db) {
            String confirm = !fastSignal() ? " (exact sizes)"
                    : confirmed ? String.format(Locale.ROOT, ", confirmed by the exact size (%s/min since the previous one)",
                            Fmt.bytes(exactRate * MINUTE_MS))
                    : ", exact size not yet in";
            return String.format(Locale.ROOT, "Database %s grows %s/min%s (its own rate %s/min)%s", db,
                    Fmt.bytes(rate() * MINUTE_MS), fastSignal() ? " by its tables" : "",
                    Fmt.bytes(baseline * MINUTE_MS), confirm);
        }
    }

    /** Tables named per alert. */
    static final int TOP_TABLES = 3;

    /** Samples each table's size and keeps, per database, the top tables by growth in the window. */
    private static void observeTables(Snapshot s, RuleContext ctx) throws Exception {
        Map<String, java.util.List<double[]>> growthByDb = new java.util.LinkedHashMap<>();
        Map<String, java.util.List<String>> namesByDb = new java.util.LinkedHashMap<>();
        Map<String, Map<String, double[]>> sizesByDb = new java.util.LinkedHashMap<>();
        long now = ctx.now();
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double size = Rows.val(row, "total_size_bytes");
            if (db.isEmpty() || size == null) {
                continue;
            }
            String rel = Rows.label(row, "schemaname") + "." + Rows.label(row, "relname");
            sizesByDb.computeIfAbsent(db, k -> new java.util.LinkedHashMap<>()).put(rel,
                    new double[] {size, sizeStamp(row)});
            growthByDb.computeIfAbsent(db, k -> new java.util.ArrayList<>());
            namesByDb.computeIfAbsent(db, k -> new java.util.ArrayList<>());
            Params p = ctx.params(Map.of("datname", db));
            long window = p.millis(WINDOW);
            long every = Math.max(p.millis(SAMPLE_EVERY), window / 24);
            String name = Rows.label(row, "schemaname") + "." + Rows.label(row, "relname");
            String key = "tb|" + db + "|" + name;
            Memory m = ctx.memory(key);
            if (m == null) {
                m = new Memory();
            }
            int n = m.t.length;
            if (n == 0 || now - m.t[n - 1] >= every) {
                m.t = Arrays.copyOf(m.t, n + 1);
                m.v = Arrays.copyOf(m.v, n + 1);
                m.t[n] = now;
                m.v[n] = size;
                int drop = 0;
                while (m.t.length - drop > 2 && m.t[drop + 1] <= now - window) {
                    drop++;
                }
                m.t = Arrays.copyOfRange(m.t, drop, m.t.length);
                m.v = Arrays.copyOfRange(m.v, drop, m.v.length);
                ctx.remember(key, m);
            }
            double grew = size - m.v[0];
            if (grew > 0) {
                growthByDb.get(db).add(new double[] {grew, now - m.t[0], size, namesByDb.get(db).size()});
                namesByDb.get(db).add(name);
            }
        }
        for (Map.Entry<String, Map<String, double[]>> e : sizesByDb.entrySet()) {
            fastSignal(ctx, e.getKey(), e.getValue(), now);
        }
        for (Map.Entry<String, java.util.List<double[]>> e : growthByDb.entrySet()) {
            java.util.List<double[]> g = e.getValue();
            if (g.isEmpty()) {
                ctx.forget("ttop|" + e.getKey());
                continue;
            }
            g.sort((a, b) -> Double.compare(b[0], a[0]));
            int k = Math.min(TOP_TABLES, g.size());
            Memory top = new Memory();
            top.t = new long[] {now};
            top.v = new double[3 * k];
            StringBuilder names = new StringBuilder();
            for (int i = 0; i < k; i++) {
                top.v[3 * i] = g.get(i)[0];
                top.v[3 * i + 1] = g.get(i)[1];
                top.v[3 * i + 2] = g.get(i)[2];
                names.append(i == 0 ? "" : "\n").append(namesByDb.get(e.getKey()).get((int) g.get(i)[3]));
            }
            top.text = names.toString();
            ctx.remember("ttop|" + e.getKey(), top);
        }
    }

    /** When relpages last moved: the latest VACUUM / ANALYZE (manual or auto) of the table, epoch ms; 0 = unknown. */
    private static double sizeStamp(SnapshotRow row) {
        double stamp = 0;
        for (String k : new String[] {"last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze"}) {
            Double v = Rows.val(row, k);
            if (v != null && v * 1000 > stamp) {
                stamp = v * 1000;
            }
        }
        return stamp;
    }

    /**
     * The fast signal, from the tables probe's relpages-based sizes. relpages moves only when a
     * VACUUM or ANALYZE runs, so a table's growth is spread over the time since its previous such
     * run (its size stamp), not over the last cycle: a table analysed after three quiet days shows
     * three days' growth at a three-day rate, not as a minute's burst. A table's rate counts while
     * its stamp is younger than twice {@code burst_window} (a runaway table is analysed every few
     * minutes; one that stopped growing is not). The database's estimate is the sum over its tables
     * seen in consecutive cycles (the top-N set changes; a table entering it is not growth).
     * Memory {@code tl|<datname>}: names ({@code text}) and per table (size, stamp, rate).
     */
    private static void fastSignal(RuleContext ctx, String db, Map<String, double[]> sizes, long now)
            throws Exception {
        Params p = ctx.params(Map.of("datname", db));
        if (Standbys.skip(ctx, p)) {
            return;
        }
        Memory last = ctx.memory("tl|" + db);
        if (last != null && now <= last.touched) {
            return;
        }
        Map<String, double[]> before = new java.util.HashMap<>();
        if (last != null && last.text != null && !last.text.isEmpty()) {
            String[] names = last.text.split("\n");
            for (int i = 0; i < names.length && 3 * i + 2 < last.v.length; i++) {
                before.put(names[i], new double[] {last.v[3 * i], last.v[3 * i + 1], last.v[3 * i + 2]});
            }
        }
        long fresh = 2 * p.millis(BURST_WINDOW);
        double rate = 0;
        Memory m = new Memory();
        m.v = new double[3 * sizes.size()];
        int i = 0;
        for (Map.Entry<String, double[]> e : sizes.entrySet()) {
            double size = e.getValue()[0];
            double stamp = e.getValue()[1];
            double[] prev = before.get(e.getKey());
            double r = 0;
            if (prev != null) {
                boolean moved = size != prev[0];
                boolean stamped = stamp > prev[1];
                if (moved || stamped) {
                    double since = stamped && prev[1] > 0 ? stamp - prev[1] : now - last.touched;
                    r = since > 0 ? (size - prev[0]) / since : 0;
                    if (!stamped) {
                        stamp = now; // moved without a vacuum/analyze (CREATE INDEX, unknown stamps): date it now
                    }
                } else {
                    r = prev[2];
                    stamp = prev[1];
                }
                if (stamp > 0 && now - stamp <= fresh) {
                    rate += r;
                }
            }
            m.v[3 * i] = size;
            m.v[3 * i + 1] = stamp;
            m.v[3 * i + 2] = r;
            i++;
        }
        m.text = String.join("\n", sizes.keySet());
        m.touched = now;
        ctx.remember("tl|" + db, m);
        Burst b = Burst.load(ctx, db);
        b.fast(p, now, last == null ? Double.NaN : rate);
        report(ctx, p, db, b, now);
    }

    /** Adds the top tables of {@code db} to the context; returns the summary's tail ("; fastest: public.t +1GB"). */
    private static String tablesContext(RuleContext ctx, String db, AlertContext context) throws Exception {
        Memory top = ctx.memory("ttop|" + db);
        if (top == null || top.text == null || top.text.isEmpty()) {
            return "";
        }
        String[] names = top.text.split("\n");
        for (int i = 0; i < names.length && 3 * i + 2 < top.v.length; i++) {
            context.item(AlertContext.KIND_TABLE).put("relation", names[i]).put("grew", Fmt.bytes(top.v[3 * i]))
                    .put("over", Fmt.duration((long) top.v[3 * i + 1])).put("size", Fmt.bytes(top.v[3 * i + 2]));
        }
        return "; fastest: " + AlertContext.text(names[0], 80) + " +" + Fmt.bytes(top.v[0]);
    }

    /** Least-squares slope of size over time (bytes/ms) over the samples plus the current value. */
    private static double slope(Memory m, long now, double size) {
        int n = m.t.length + 1;
        double t0 = m.t[0];
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            double x = (i < m.t.length ? m.t[i] : now) - t0;
            double y = i < m.t.length ? m.v[i] : size;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = n * sxx - sx * sx;
        return den == 0 ? 0 : (n * sxy - sx * sy) / den;
    }
}
