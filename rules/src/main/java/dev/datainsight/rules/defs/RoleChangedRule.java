package dev.datainsight.rules.defs;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.time.Duration;
import java.util.Map;

/**
 * <b>role_changed</b> (per instance, critical): the server identity on the collector's health row
 * ({@code probe = ""}: {@code system_identifier_high/low}, {@code in_recovery}, {@code timeline_id})
 * differs from the one seen before: a promotion (in_recovery 1 → 0), a demotion (0 → 1, an old
 * primary rejoined as a standby), another server behind the address (system_identifier changed:
 * a VIP or DNS failover), or a new timeline (on a standby: its upstream was promoted). The
 * condition holds for 30 min after the change, then resolves by itself; the summary says before
 * and after.
 *
 * <p>Why: a failover is the event an on-call engineer must know of even when it went well: the
 * old primary may still take writes (split brain), standbys must follow the new timeline, and
 * every counter-based signal restarts (the job rebaselines on the same change). pgmonitor's
 * PGRecoveryStatusSwitch (critical; recovery status different from 5 min before, so it resolves
 * by itself) and the postgres_exporter mixin's PostgresReplicationRoleChanged (warning, a change
 * within 1 min) alert on {@code pg_is_in_recovery} changing for the same reason. The first
 * identity seen is the baseline, so a job start announces nothing; a part that is unknown (null,
 * an older collector) is never a change. Changes that follow within the hold (a promotion shows
 * first as in_recovery flipping, then as the checkpoint's new timeline) extend the same alert, not
 * a new page. 30 min keeps it visible past the incident's first minutes.
 */
public final class RoleChangedRule extends Rule {
    public static final ParamDef<Duration> HOLD = ParamDef.duration("hold", "30m",
            "how long the condition holds after the identity or role changed");
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.CRITICAL,
            "severity of the alert (warning or critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "role_changed";
    private static final String[] COLUMNS = {"system_identifier_high", "system_identifier_low", "in_recovery",
        "timeline_id"};

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views(MetricCatalog.COLLECTOR_VIEW)
                .detects("A failover or role change: pg_is_in_recovery() flipped, the system_identifier behind the "
                        + "address changed, or the timeline moved. Before and after in the summary; held 30 min.")
                .why("A failover needs a human even when it worked (split brain, standbys to repoint, counters "
                        + "restarted); pgmonitor (critical for 5 min after it) and the postgres_exporter mixin "
                        + "alert on the recovery state changing. Baseline on the first identity; an unknown "
                        + "part is no change; held 30 min, and a second change within the hold (the new timeline after a "
                        + "promotion) extends the same alert.")
                .runbook("Confirm which server is primary now and that the old one is fenced or a standby; repoint "
                        + "standbys and clients; read the HA manager's log for why it failed over.")
                .param(HOLD)
                .param(SEVERITY)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            if (!Rows.label(row, "probe").isEmpty()) {
                continue;
            }
            double[] id = new double[COLUMNS.length];
            boolean any = false;
            for (int i = 0; i < id.length; i++) {
                Double v = Rows.val(row, COLUMNS[i]);
                id[i] = v == null ? Double.NaN : v;
                any |= v != null;
            }
            Params p = ctx.params(row.getLabels());
            // v = the identity seen last (NaN: unknown part); t[0] = when a change was last seen
            // (MIN_VALUE: none); text = the identity before the first change of the current hold.
            Memory m = ctx.memory("");
            if (!any && (m == null || m.v.length != COLUMNS.length)) {
                continue; // down, or a row without the identity, and nothing seen yet
            }
            // A row without the identity (down, or a slow cycle's health row) says nothing new but
            // still reports the series: one missing from a health snapshot would resolve as gone.
            if (m == null || m.v.length != COLUMNS.length) {
                m = Memory.of(new long[] {Long.MIN_VALUE}, id.clone());
                ctx.remember("", m);
            }
            boolean changed = false;
            for (int i = 0; i < id.length; i++) {
                changed |= !Double.isNaN(id[i]) && !Double.isNaN(m.v[i]) && id[i] != m.v[i];
            }
            boolean holding = m.t[0] != Long.MIN_VALUE && ctx.now() - m.t[0] < p.millis(HOLD);
            if (changed) {
                Memory n = Memory.of(new long[] {ctx.now()}, merge(m.v, id));
                n.text = holding && m.text != null ? m.text : describe(m.v);
                m = n;
                ctx.remember("", m);
                holding = true;
            } else if (merge(m.v, id) != m.v) {
                Memory n = Memory.of(m.t, merge(m.v, id));
                n.text = m.text;
                m = n;
                ctx.remember("", m);
            }
            String now = describe(m.v);
            String summary = holding ? "Role or identity changed: " + m.text + " → " + now : "Server is " + now;
            ctx.alert(p, Map.of(), holding ? p.severity(SEVERITY) : null, m.v[2], null, null, summary,
                    "The collector saw another server identity or recovery state: a failover, a promotion, a demotion "
                            + "or a new timeline. Counters were rebaselined.");
        }
    }

    /** The known parts of {@code seen}, updated with the known parts of {@code id}; {@code seen} itself when equal. */
    private static double[] merge(double[] seen, double[] id) {
        double[] r = null;
        for (int i = 0; i < id.length; i++) {
            if (!Double.isNaN(id[i]) && Double.compare(id[i], seen[i]) != 0) {
                if (r == null) {
                    r = seen.clone();
                }
                r[i] = id[i];
            }
        }
        return r == null ? seen : r;
    }

    /** "primary, timeline 2, system_identifier 7312345678901234567" (unknown parts "?"). */
    static String describe(double[] v) {
        String role = Double.isNaN(v[2]) ? "role ?" : v[2] >= 0.5 ? "standby" : "primary";
        String tl = Double.isNaN(v[3]) ? "?" : Long.toString((long) v[3]);
        String id = Double.isNaN(v[0]) || Double.isNaN(v[1]) ? "?"
                : Long.toUnsignedString(((long) v[0] << 32) | ((long) v[1] & 0xffffffffL));
        return role + ", timeline " + tl + ", system_identifier " + id;
    }
}
