package dev.datainsight.rules.defs;

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
import java.util.Map;

/**
 * <b>table_freeze_age</b> (per table): {@code max(relfrozenxid_age, toast_relfrozenxid_age)} of a
 * {@code pg_stat_user_tables} row as a multiple of the server's {@code autovacuum_freeze_max_age}
 * (from {@code pg_settings}; 200 million, the PostgreSQL default, until the settings are seen).
 * Warning above 1.5×, critical above 4×.
 *
 * <p>Why: at 1× autovacuum starts a forced anti-wraparound vacuum of the table; that is routine on a busy database
 * and resolves when the vacuum finishes, so 1× is not paged. A table still past 1.5× has had
 * half a freeze_max_age of transactions for that vacuum to finish and it did not (cancelled, too
 * slow, or held by the xmin horizon). 4× (800 million by default) stays well below
 * {@code vacuum_failsafe_age} (1.6 billion, 14+) and the database-wide xid_wraparound warning, so
 * a table is named before the whole database pages. pgmonitor's PGEmergencyVacuum reads the
 * same ratio per database (datfrozenxid): warning above 110 %, critical above 125 % of
 * autovacuum_freeze_max_age; per table and with a longer margin here, since a single busy table
 * passing 1× is the routine case. The TOAST table ages on its own and wraps
 * the same, so the worse of the two counts. Not evaluated on standbys ({@code on_standbys}): the
 * ages are the primary's, replayed.
 */
public final class TableFreezeAgeRule extends Rule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 1.5,
            "age as a multiple of autovacuum_freeze_max_age above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 4.0,
            "age as a multiple of autovacuum_freeze_max_age above which it is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "table_freeze_age";
    /** Memory key of the server's autovacuum_freeze_max_age (table keys contain \u0001). */
    private static final String FREEZE_MAX_AGE = "freeze_max_age";
    private static final double DEFAULT_FREEZE_MAX_AGE = 200_000_000.0;

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "15m", "5m")
                .views("pg_stat_user_tables", "pg_settings")
                .detects("A table (or its TOAST table) whose freeze age stays past autovacuum_freeze_max_age: the "
                        + "anti-wraparound vacuum is not finishing.")
                .why("At 1x autovacuum forces a freezing vacuum, routine and short; still past 1.5x means it is not "
                        + "finishing (pgmonitor's database-wide PGEmergencyVacuum: 110% warns, 125% critical). 4x (800M by default) names the "
                        + "table well before vacuum_failsafe_age (1.6B) and the database-wide xid_wraparound alert.")
                .runbook("Is a VACUUM running on it (pg_stat_progress_vacuum)? If not, or it keeps being cancelled "
                        + "(lock conflicts), run VACUUM (FREEZE, VERBOSE) on the table; check xmin_horizon for a "
                        + "holder that keeps it from freezing.")
                .param(WARNING)
                .param(CRITICAL)
                .param(Standbys.ON_STANDBYS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_settings".equals(s.getView())) {
            Double max = s.getRows().isEmpty() ? null : Rows.val(s.getRows().get(0), "autovacuum_freeze_max_age");
            if (max != null && max > 0) {
                ctx.remember(FREEZE_MAX_AGE, Memory.of(new long[] {ctx.now()}, new double[] {max}));
            }
            return;
        }
        Memory fm = ctx.memory(FREEZE_MAX_AGE);
        double freezeMax = fm == null || fm.v.length == 0 ? DEFAULT_FREEZE_MAX_AGE : fm.v[0];
        for (SnapshotRow row : s.getRows()) {
            Double heap = Rows.val(row, "relfrozenxid_age");
            Double toast = Rows.val(row, "toast_relfrozenxid_age");
            if (heap == null && toast == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            if (Standbys.skip(ctx, p)) {
                continue;
            }
            boolean toastWorse = toast != null && (heap == null || toast > heap);
            double age = toastWorse ? toast : heap;
            double ratio = age / freezeMax;
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && ratio > c ? Severity.CRITICAL : w != null && ratio > w ? Severity.WARNING : null;
            Map<String, String> labels = Rows.pick(row, "datname", "schemaname", "relname");
            String table = labels.get("datname") + "." + labels.get("schemaname") + "." + labels.get("relname");
            boolean running = Rows.valOr(row, "vacuum_running", 0) > 0.5;
            String summary = (toastWorse ? "The TOAST table of " : "Table ") + table + " is " + Fmt.num(age)
                    + " transactions old, " + String.format(java.util.Locale.ROOT, "%.1f", ratio)
                    + "x autovacuum_freeze_max_age (" + Fmt.num(freezeMax) + ")"
                    + (running ? "; a VACUUM is running on it" : "; no VACUUM is running on it");
            ctx.alert(p, labels, level, ratio, w, c, summary,
                    "Past autovacuum_freeze_max_age autovacuum must freeze the table; it has not finished.");
        }
    }
}
