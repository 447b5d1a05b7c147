package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>xid_wraparound</b> (per database): {@code max(xid_age, mxid_age) / 2^31} from the
 * {@code pg_database} view (age(datfrozenxid), mxid_age(datminmxid)). Warning above 50 %,
 * critical above 75 %.
 *
 * <p>Why: PostgreSQL stops accepting writes near 2^31 (minus a safety margin); pgmonitor and
 * check_postgres use 50 % / 75 % of that, leaving days to weeks to run a freezing vacuum. Both
 * transaction ids and multixact ids wrap, so the worse of the two counts. Not evaluated on
 * standbys ({@code on_standbys}, {@link Standbys}): their ages are the primary's, replayed.
 */
public final class XidWraparoundRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.50, "share of 2^31 consumed (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 0.75,
            "share of 2^31 consumed (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "xid_wraparound";
    private static final double WRAP = 2147483648.0;

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "1m", "5m")
                .views("pg_database")
                .detects("A database approaching transaction-id (or multixact-id) wraparound.")
                .why("pgmonitor / check_postgres use 50% / 75% of 2^31: writes stop near 100%, and a freezing vacuum "
                        + "on a large database takes hours. A standby's ages are the primary's (replayed), so standbys "
                        + "are skipped (`on_standbys`): the condition pages once, on the primary.")
                .runbook("Find the oldest tables (age(relfrozenxid)), look for long transactions, prepared transactions "
                        + "and stale replication slots holding xmin; then VACUUM (FREEZE) them.")
                .param(WARNING)
                .param(CRITICAL)
                .param(Standbys.ON_STANDBYS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    /** A standby's ages are the primary's (replayed): the primary pages, once. */
    @Override
    protected boolean replicaAware() {
        return true;
    }

    @Override
    protected Double value(SnapshotRow row) {
        Double x = Rows.val(row, "xid_age");
        Double m = Rows.val(row, "mxid_age");
        if (x == null && m == null) {
            return null;
        }
        return Math.max(x == null ? 0 : x, m == null ? 0 : m) / WRAP;
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Rows.pick(row, "datname");
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        return "Database " + Rows.label(row, "datname") + " has used " + Fmt.pct(v) + " of the 2^31 id space (xid age "
                + Fmt.num(Rows.valOr(row, "xid_age", 0)) + ", mxid age " + Fmt.num(Rows.valOr(row, "mxid_age", 0)) + ")";
    }
}
