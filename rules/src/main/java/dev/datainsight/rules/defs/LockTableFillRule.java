package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>lock_table_fill</b> (per instance): the share of the shared lock table in use, from the
 * {@code pg_stat_activity} row: {@code locks_held} (pg_locks entries that occupy the table: not
 * fast-path, not predicate locks) over {@code lock_table_slots} = max_locks_per_transaction ×
 * (max_connections + max_prepared_transactions). Warning above 50 %, critical above 80 %, for 1 min.
 *
 * <p>Why: when the table is full every statement that needs one more lock fails with "out of
 * shared memory" (hint: increase max_locks_per_transaction), which looks like a memory problem
 * and takes the whole server's workload down, not the one session that filled it. The usual
 * fillers are a pg_dump or a migration touching thousands of tables in one transaction, queries
 * over many partitions, and sessions taking advisory locks in a loop; they grow over seconds to
 * minutes, hence a low warning. The documented formula is a little under the real capacity (the
 * server sizes the table for its background workers too, and spare shared memory absorbs some
 * overflow), so the rule errs early. The postgres_exporter mixin warns at 20 % of
 * max_locks_per_transaction × max_connections for 5 min (PostgresAcquiredTooManyLocks), but
 * counts every lock in pg_locks, fast-path ones too, which never use the shared table; counting
 * only the shared table, this rule can wait longer. Raising max_locks_per_transaction needs a restart: a page
 * at 80 % leaves time to end the transaction instead. 1 min skips a pg_dump's brief peak.
 */
public final class LockTableFillRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.50,
            "share of the shared lock table in use (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 0.80,
            "share of the shared lock table in use (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "lock_table_fill";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "1m", "2m")
                .views("pg_stat_activity")
                .detects("The shared lock table filling up: locks held (pg_locks, not fast-path) against "
                        + "max_locks_per_transaction x (max_connections + max_prepared_transactions).")
                .why("A full lock table fails every statement needing a lock with \"out of shared memory\"; "
                        + "pg_dump, many-partition queries and advisory-lock loops fill it within minutes, and the "
                        + "fix (max_locks_per_transaction) needs a restart: 50% warns early, 80% leaves time to end the "
                        + "transaction. The documented size is a little under the real one, so the rule errs early; "
                        + "1 min skips a brief peak.")
                .runbook("Find the session holding most locks (SELECT pid, count(*) FROM pg_locks GROUP BY pid "
                        + "ORDER BY 2 DESC); end or split its transaction; raise max_locks_per_transaction at the next "
                        + "restart if it is a normal workload.")
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    protected Double value(SnapshotRow row) {
        Double held = Rows.val(row, "locks_held");
        Double slots = Rows.val(row, "lock_table_slots");
        return held == null || slots == null || slots <= 0 ? null : held / slots;
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        return Fmt.num(Rows.valOr(row, "locks_held", 0)) + " of " + Fmt.num(Rows.valOr(row, "lock_table_slots", 0))
                + " lock table slots in use (" + Fmt.pct(v) + ")";
    }
}
