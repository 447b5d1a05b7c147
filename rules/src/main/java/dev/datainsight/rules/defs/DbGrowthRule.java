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

    private static final long serialVersionUID = 1L;
    public static final String NAME = "db_growth";
    private static final int MAX_SAMPLES = 200;

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "15m", "1h")
                .views("pg_database", "pg_stat_user_tables")
                .detects("A database growing fast (share of its size per day), or forecast to reach a size limit soon.")
                .why("pgmonitor / pgHero watch day-over-day growth; > 15% in 24 h is a runaway, not business growth. "
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
            AlertContext context = null;
            String fastest = "";
            if (level != null) {
                context = AlertContext.create();
                fastest = tablesContext(ctx, db, context);
            }
            ctx.alert(p, Map.of("datname", db), level, share, w, c,
                    String.format(Locale.ROOT, "Database %s grew %s (%s) in %.1f h, now %s", db, Fmt.pct(share),
                            Fmt.bytes(grew), span / 3_600_000.0, Fmt.bytes(size)) + forecast + fastest,
                    "Fast growth fills disks and often means bloat or a runaway table.", context);
        }
    }

    /** Tables named per alert. */
    static final int TOP_TABLES = 3;

    /** Samples each table's size and keeps, per database, the top tables by growth in the window. */
    private static void observeTables(Snapshot s, RuleContext ctx) throws Exception {
        Map<String, java.util.List<double[]>> growthByDb = new java.util.LinkedHashMap<>();
        Map<String, java.util.List<String>> namesByDb = new java.util.LinkedHashMap<>();
        long now = ctx.now();
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double size = Rows.val(row, "total_size_bytes");
            if (db.isEmpty() || size == null) {
                continue;
            }
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
