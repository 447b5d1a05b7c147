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
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.time.Duration;
import java.util.Map;

/**
 * <b>autovacuum_lag</b> (per table): from {@code pg_stat_user_tables} — n_dead_tup, n_live_tup,
 * last_autovacuum, autovacuum_count, vacuum_running and the table's <em>effective</em>
 * autovacuum_vacuum_threshold and scale_factor (server settings overridden by reloptions,
 * computed by the collector). The table's trigger is threshold + scale_factor × live, capped on
 * PostgreSQL 18 by {@code autovacuum_vacuum_max_threshold} (the table's gauge of that name when
 * the collector sends it, else the {@code pg_settings} one; -1 or absent = no cap). The condition
 * holds when dead tuples exceed the trigger (and {@code min_dead_tuples}, 10,000) and
 * <ol>
 *   <li>they have stayed above it for {@code no_autovacuum_for} (1 h) <em>whether or not
 *       autovacuum ran</em>: the common case is a vacuum that runs every few minutes but removes
 *       nothing because the xmin horizon is held, and autovacuum_count keeps moving; or</li>
 *   <li>no autovacuum ran for that long: last_autovacuum older than that (or never) and
 *       autovacuum_count has not moved in that time (autovacuum disabled or starved of workers);</li>
 * </ol>
 * and no VACUUM is working on the table right now ({@code vacuum_running}, from
 * pg_stat_progress_vacuum): a long vacuum of a big table is the cure in progress, not a lag. Then
 * the dead ratio dead / (dead + live) ≥ 10 % warns, ≥ 50 % is critical. For 5 min.
 *
 * <p>Memory per table: t[0] when autovacuum_count was last seen to change (or first seen), t[1]
 * since when dead tuples are above the trigger ({@link Long#MIN_VALUE} when they are not; a memory
 * from before issue 18 has no t[1] and starts the clock now), v[0] that count.
 *
 * <p>The context says what may hold the xmin horizon, from what the collector reports today: the
 * oldest transaction and the oldest idle-in-transaction session of the instance when older than
 * {@code xmin_floor} ({@code pg_stat_activity} aggregates), and the inactive replication slots with
 * the WAL they retain ({@code pg_replication_slots}); and, from the session detail of the same
 * cycle as the activity aggregate, the session with the oldest {@code backend_xmin} (or a prepared
 * transaction), named in the summary: "xmin held by pid 4242 (etl@10.0.0.5, idle in transaction
 * 3.0 h), 1234 xids back".
 *
 * <p>Why: being past its own trigger for an hour means autovacuum is disabled, starved of workers,
 * or cannot remove the dead tuples because an old xmin holds them (pgmonitor, pganalyze's
 * "VACUUM falling behind", check_postgres bloat); the last is the commonest and is invisible to
 * "has autovacuum run". The ratio and the floor keep small or briefly busy tables quiet.
 */
public final class AutovacuumLagRule extends Rule {
    public static final ParamDef<Duration> NO_AUTOVACUUM_FOR = ParamDef.duration("no_autovacuum_for", "1h",
            "how long dead tuples stay above the trigger (whether or not autovacuum ran), or how long without any "
                    + "autovacuum, before the table counts as lagging");
    public static final ParamDef<Double> MIN_DEAD_TUPLES = ParamDef.number("min_dead_tuples", 10000.0,
            "dead tuples below which the rule stays silent");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.10,
            "dead / (dead + live) ratio (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 0.50,
            "dead / (dead + live) ratio (critical)");

    public static final ParamDef<Duration> XMIN_FLOOR = ParamDef.duration("xmin_floor", "10m",
            "transactions younger than this are not named as holding the xmin horizon");

    private static final long serialVersionUID = 1L;
    /** Memory keys of the instance's oldest transactions and inactive slots (table keys contain \u0001). */
    private static final String XMIN = "xmin";
    private static final String SLOTS = "slots";
    private static final String HOLDER = "xmin_holder";
    /** Memory key of the server's autovacuum_vacuum_max_threshold (18+), from pg_settings. */
    private static final String MAX_THRESHOLD = "max_threshold";
    private static final long HOLDER_MAX_AGE_MS = 300_000L;
    private static final int MAX_SLOTS = 3;
    public static final String NAME = "autovacuum_lag";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_stat_user_tables", "pg_stat_activity", "pg_replication_slots", "pg_settings")
                .detects("A table above its own autovacuum trigger for an hour whether or not autovacuum ran (a vacuum "
                        + "that removes nothing because the xmin horizon is held), or with no autovacuum for an hour, "
                        + "and a high dead-tuple ratio; quiet while a VACUUM works on the table.")
                .why("pgmonitor / pganalyze flag tables whose dead tuples pile up past the autovacuum trigger; the "
                        + "server's own threshold + scale_factor (with reloptions, capped by 18's "
                        + "autovacuum_vacuum_max_threshold) decides, 10%/50% dead ratio grades it. Vacuum running "
                        + "often but removing nothing is the common case, so the clock is time above the trigger, "
                        + "not time since the last autovacuum; a vacuum in progress is the cure, not a lag.")
                .context("what may hold the xmin horizon: the session with the oldest backend_xmin from the session "
                        + "detail (`session` item, role `xmin holder`, named in the summary), a `session` item for the oldest transaction and the oldest "
                        + "idle-in-transaction session when older than `xmin_floor`, and up to 3 `slot` items for inactive "
                        + "replication slots (retained WAL); the summary names the oldest transaction.")
                .runbook("Check the table's reloptions (autovacuum_enabled), autovacuum workers busy elsewhere "
                        + "(pg_stat_progress_vacuum), and long transactions or slots holding xmin; VACUUM the table.")
                .param(NO_AUTOVACUUM_FOR)
                .param(MIN_DEAD_TUPLES)
                .param(WARNING)
                .param(CRITICAL)
                .param(XMIN_FLOOR)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_activity".equals(s.getView())) {
            // The instance-wide aggregate row (the one without labels).
            SnapshotRow r = s.getRows().stream().filter(x -> x.getLabels().isEmpty()).findFirst().orElse(null);
            if (r != null) {
                ctx.remember(XMIN, Memory.of(new long[] {ctx.now()}, new double[] {
                    Rows.valOr(r, "oldest_xact_age_seconds", -1), Rows.valOr(r, "oldest_idle_in_transaction_seconds", -1)}));
            }
            observeHolder(ctx);
            return;
        }
        if ("pg_replication_slots".equals(s.getView())) {
            observeSlots(s, ctx);
            return;
        }
        if ("pg_settings".equals(s.getView())) {
            Double max = s.getRows().isEmpty() ? null : Rows.val(s.getRows().get(0), "autovacuum_vacuum_max_threshold");
            if (max == null) {
                ctx.forget(MAX_THRESHOLD);
            } else {
                ctx.remember(MAX_THRESHOLD, Memory.of(new long[] {ctx.now()}, new double[] {max}));
            }
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            Double dead = Rows.val(row, "n_dead_tup");
            Double live = Rows.val(row, "n_live_tup");
            if (dead == null || live == null) {
                continue;
            }
            Map<String, String> labels = Rows.pick(row, "datname", "schemaname", "relname");
            String key = Rows.key(labels);
            Params p = ctx.params(row.getLabels());
            // Memory: t[0] = when autovacuum_count was last seen to change (or first seen), t[1] = since when
            // dead tuples are above the trigger (MIN_VALUE: not above), v[0] = that count.
            double count = Rows.valOr(row, "autovacuum_count", 0);
            double trigger = trigger(row, live, ctx);
            boolean above = dead > trigger && dead >= p.number(MIN_DEAD_TUPLES);
            Memory m = ctx.memory(key);
            if (m == null || m.v[0] != count) {
                boolean firstSeen = m == null;
                long aboveSince = m != null && m.t.length > 1 ? m.t[1] : Long.MIN_VALUE;
                m = Memory.of(new long[] {firstSeen ? Long.MIN_VALUE : ctx.now(), aboveSince}, new double[] {count});
            } else if (m.t.length < 2) {
                m.t = new long[] {m.t[0], Long.MIN_VALUE};
            }
            if (!above) {
                m.t[1] = Long.MIN_VALUE;
            } else if (m.t[1] == Long.MIN_VALUE) {
                m.t[1] = ctx.now();
            }
            m.touched = ctx.now();
            ctx.remember(key, m);
            Double lastAvSec = Rows.val(row, "last_autovacuum");
            long lastAv = Math.max(lastAvSec == null ? Long.MIN_VALUE : (long) (lastAvSec * 1000), m.t[0]);
            long n = p.millis(NO_AUTOVACUUM_FOR);
            boolean noAutovacuum = lastAv == Long.MIN_VALUE || ctx.now() - lastAv >= n;
            boolean aboveForLong = above && ctx.now() - m.t[1] >= n;
            boolean running = Rows.valOr(row, "vacuum_running", 0) >= 0.5;
            double ratio = dead + live > 0 ? dead / (dead + live) : 0;
            boolean over = above && (aboveForLong || noAutovacuum) && !running;
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = !over ? null : c != null && ratio >= c ? Severity.CRITICAL
                    : w != null && ratio >= w ? Severity.WARNING : null;
            String table = labels.get("datname") + "." + labels.get("schemaname") + "." + labels.get("relname");
            boolean disabled = Rows.valOr(row, "autovacuum_enabled", 1) < 0.5;
            String since = lastAv == Long.MIN_VALUE ? "never autovacuumed"
                    : "last autovacuum " + Fmt.duration((ctx.now() - lastAv) / 60_000 * 60_000) + " ago";
            AlertContext context = null;
            String holder = "";
            if (level != null) {
                context = AlertContext.create();
                holder = xminContext(ctx, p, context);
            }
            ctx.alert(p, labels, level, ratio, w, c,
                    "Table " + table + " has " + Fmt.num(dead) + " dead tuples (" + Fmt.pct(ratio)
                            + " dead, autovacuum trigger " + Fmt.num(Math.round(trigger)) + "); " + since
                            + (aboveForLong ? "; above the trigger for " + Fmt.duration((ctx.now() - m.t[1]) / 60_000
                                    * 60_000) : "")
                            + (disabled ? "; autovacuum is disabled on this table" : "") + holder,
                    "Dead tuples exceed the table's autovacuum trigger and autovacuum has not brought them below it: bloat and slower "
                            + "scans follow.", context);
        }
    }

    /**
     * The table's autovacuum trigger: threshold + scale_factor × live, capped by
     * autovacuum_vacuum_max_threshold (18+; the table's own value when sent, else the server's;
     * -1 = no cap).
     */
    private static double trigger(SnapshotRow row, double live, RuleContext ctx) throws Exception {
        double t = Rows.valOr(row, "autovacuum_vacuum_threshold", 50)
                + Rows.valOr(row, "autovacuum_vacuum_scale_factor", 0.2) * live;
        Double max = Rows.val(row, "autovacuum_vacuum_max_threshold");
        if (max == null) {
            Memory m = ctx.memory(MAX_THRESHOLD);
            max = m == null || m.v.length == 0 ? null : m.v[0];
        }
        return max != null && max >= 0 ? Math.min(t, max) : t;
    }

    /** Keeps the inactive slots with the most retained WAL (v: retained bytes, text: names). */
    private static void observeSlots(Snapshot s, RuleContext ctx) throws Exception {
        java.util.List<SnapshotRow> inactive = new java.util.ArrayList<>();
        for (SnapshotRow r : s.getRows()) {
            if (Rows.valOr(r, "active", 1) < 0.5) {
                inactive.add(r);
            }
        }
        if (inactive.isEmpty()) {
            ctx.forget(SLOTS);
            return;
        }
        inactive.sort((a, b) -> Double.compare(Rows.valOr(b, "retained_wal_bytes", 0), Rows.valOr(a, "retained_wal_bytes", 0)));
        int k = Math.min(MAX_SLOTS, inactive.size());
        Memory m = Memory.of(new long[] {ctx.now()}, new double[k]);
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < k; i++) {
            m.v[i] = Rows.valOr(inactive.get(i), "retained_wal_bytes", -1);
            names.append(i == 0 ? "" : "\n").append(Rows.label(inactive.get(i), "slot_name")).append('\t')
                    .append(Rows.label(inactive.get(i), "slot_type"));
        }
        m.text = names.toString();
        ctx.remember(SLOTS, m);
    }

    /**
     * From the session detail of the activity cycle: the session with the oldest backend_xmin (a
     * prepared transaction counts), kept as memory {@code xmin_holder}: {@code text} = its wording,
     * a newline, its context item as JSON. Forgotten when the detail lists none.
     */
    private static void observeHolder(RuleContext ctx) throws Exception {
        SnapshotRow best = null;
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            Double age = Rows.val(r, "backend_xmin_age");
            if (age != null && (best == null || age > Rows.valOr(best, "backend_xmin_age", -1))) {
                best = r;
            }
        }
        if (best == null) {
            if (!ctx.detail(Sessions.SESSIONS).isEmpty()) {
                ctx.forget(HOLDER);
            }
            return;
        }
        AlertContext c = AlertContext.create();
        Sessions.item(c, best, "xmin holder");
        Memory m = Memory.of(new long[] {ctx.now()}, new double[] {Rows.valOr(best, "backend_xmin_age", -1)});
        m.text = Sessions.who(best) + "\n" + dev.datainsight.model.WireCodec.mapper().writeValueAsString(c.bounded());
        ctx.remember(HOLDER, m);
    }

    /** Adds what may hold the xmin horizon to the context; returns the summary's tail. */
    private static String xminContext(RuleContext ctx, Params p, AlertContext context) throws Exception {
        Memory holder = ctx.memory(HOLDER);
        if (holder != null && ctx.now() - holder.t[0] > HOLDER_MAX_AGE_MS) {
            holder = null; // the detail stopped coming: do not name a session seen long ago
        }
        if (holder != null && holder.text != null && holder.text.indexOf('\n') > 0) {
            int nl = holder.text.indexOf('\n');
            java.util.List<dev.datainsight.model.AlertContextItem> items = dev.datainsight.model.WireCodec.mapper()
                    .readValue(holder.text.substring(nl + 1), new com.fasterxml.jackson.core.type.TypeReference<
                            java.util.List<dev.datainsight.model.AlertContextItem>>() {});
            for (dev.datainsight.model.AlertContextItem it : items) {
                dev.datainsight.model.AlertContextItem copy = context.item(it.getKind());
                for (int i = 0; i < it.getNames().size(); i++) {
                    copy.put(it.getNames().get(i), it.getValues().get(i));
                }
            }
        }
        String tail = holder == null || holder.text == null || holder.text.indexOf('\n') <= 0 ? ""
                : "; xmin held by " + holder.text.substring(0, holder.text.indexOf('\n'))
                        + (holder.v.length > 0 && holder.v[0] >= 0 ? ", " + Fmt.num(holder.v[0]) + " xids back" : "");
        double floor = p.millis(XMIN_FLOOR) / 1000.0;
        Memory x = ctx.memory(XMIN);
        if (x != null && x.v.length >= 2) {
            if (x.v[0] >= floor) {
                context.item(AlertContext.KIND_SESSION).put("what", "oldest transaction")
                        .put("xact_age", Fmt.secs(x.v[0]));
                if (tail.isEmpty()) {
                    tail = "; the oldest transaction is " + Fmt.secs(x.v[0]) + " old and may hold the xmin horizon";
                }
            }
            if (x.v[1] >= floor) {
                context.item(AlertContext.KIND_SESSION).put("what", "oldest idle in transaction")
                        .put("state", "idle in transaction").put("state_age", Fmt.secs(x.v[1]));
            }
        }
        Memory slots = ctx.memory(SLOTS);
        if (slots != null && slots.text != null && !slots.text.isEmpty()) {
            String[] lines = slots.text.split("\n");
            for (int i = 0; i < lines.length && i < slots.v.length; i++) {
                String[] f = lines[i].split("\t", -1);
                dev.datainsight.model.AlertContextItem it = context.item("slot").put("slot_name", f[0])
                        .put("slot_type", f.length > 1 ? f[1] : "").put("active", "false");
                if (slots.v[i] >= 0) {
                    it.put("retained_wal", Fmt.bytes(slots.v[i]));
                }
            }
            if (tail.isEmpty()) {
                tail = "; inactive replication slot " + AlertContext.text(lines[0].split("\t", -1)[0], 64)
                        + " may hold the xmin horizon";
            }
        }
        return tail;
    }
}
