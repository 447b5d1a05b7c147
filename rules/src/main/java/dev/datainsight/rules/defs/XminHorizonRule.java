package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>xmin_horizon</b> (per instance): {@code horizon_age} of the {@code xmin_horizon} row, the age
 * in transaction ids of the oldest xmin that vacuum must respect. Warning above 100 million,
 * critical above 200 million; the summary names what holds it ({@code holder}: session,
 * walsender with standby feedback, prepared transaction, slot xmin, slot catalog_xmin) and its pid.
 * A prepared transaction as old as the horizon ({@code prepared_xact_age}) is named whatever
 * {@code holder} says: snapshots taken while it runs tie with it, and the tie names a session.
 *
 * <p>Why: nothing newer than the horizon can be removed or frozen, so dead rows pile up in every
 * table and the database ages towards wraparound while vacuum runs in vain. 200 million is the
 * default {@code autovacuum_freeze_max_age}: past it, anti-wraparound vacuums start and cannot
 * finish their job until the holder goes; half of it warns early enough to find the holder
 * (pgmonitor pages on the holders by time: idle in transaction over 5 / 15 min, a query over
 * 12 h / 1 d; the postgres_exporter mixin on a repmgr slot's xmin age; the long_transaction rule
 * covers sessions by time, this one every kind of holder by xids). Not
 * evaluated on standbys ({@code on_standbys}): with hot_standby_feedback their horizon shows up
 * on the primary as a walsender holder, and pages there once.
 */
public final class XminHorizonRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 100_000_000.0,
            "horizon age in transaction ids above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 200_000_000.0,
            "horizon age in transaction ids above which it is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "xmin_horizon";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("xmin_horizon")
                .detects("The xmin horizon held back (vacuum cannot remove or freeze rows), naming the holder: "
                        + "session, standby feedback, prepared transaction or replication slot.")
                .why("Nothing newer than the horizon is vacuumed or frozen. 200M xids is the default "
                        + "autovacuum_freeze_max_age (anti-wraparound vacuums start and cannot finish); half of it "
                        + "warns. Standbys are skipped (`on_standbys`): their feedback shows on the primary.")
                .runbook("Session: pg_terminate_backend(pid) after checking what it runs. Prepared transaction: "
                        + "COMMIT/ROLLBACK PREPARED. Slot: fix or drop its consumer. Standby feedback: the standby's "
                        + "long queries.")
                .param(WARNING)
                .param(CRITICAL)
                .param(Standbys.ON_STANDBYS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    protected boolean replicaAware() {
        return true;
    }

    @Override
    protected Double value(SnapshotRow row) {
        return Rows.val(row, "horizon_age");
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    /** The holder's kind, from the collector's code. */
    static String holder(Double code) {
        if (code == null) {
            return "unknown holder";
        }
        return switch ((int) Math.round(code)) {
            case 1 -> "a session";
            case 2 -> "a walsender (standby hot_standby_feedback)";
            case 3 -> "a prepared transaction";
            case 4 -> "a replication slot's xmin";
            case 5 -> "a replication slot's catalog_xmin";
            default -> "holder " + Fmt.num(code);
        };
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        Double prepared = Rows.val(row, "prepared_xact_age");
        if (prepared != null && prepared >= v) {
            // A prepared transaction as old as the horizon is what holds it: every snapshot taken
            // while it is the oldest running transaction (a session's query, an autovacuum worker,
            // a standby's feedback) has its xid as xmin and ties with it, and the collector names
            // the session on a tie. The session's snapshot ends; the prepared transaction stays.
            return "The xmin horizon is " + Fmt.num(v) + " transactions old, held by " + holder(3.0);
        }
        Double pid = Rows.val(row, "holder_pid");
        Double xactAge = Rows.val(row, "holder_xact_age_seconds");
        return "The xmin horizon is " + Fmt.num(v) + " transactions old, held by " + holder(Rows.val(row, "holder"))
                + (pid == null ? "" : " (pid " + Fmt.num(pid) + ")")
                + (xactAge == null ? "" : ", transaction open for " + Fmt.secs(xactAge));
    }
}
