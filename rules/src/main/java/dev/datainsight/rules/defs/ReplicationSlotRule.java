package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalBytes;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * <b>replication_slot</b> (per slot): from {@code pg_replication_slots}, the worst of
 * <ul>
 *   <li>critical: the slot is lost ({@code lost = 1}: wal_status lost, invalidated, or conflicting),
 *       so its consumer cannot resume and must be rebuilt;</li>
 *   <li>warning: {@code safe_wal_size} (WAL that can still be written before the slot is lost to
 *       {@code max_slot_wal_keep_size}) below 1 GB;</li>
 *   <li>an inactive slot ({@code active = 0}) retaining more than 1 GB of WAL: warning; more than
 *       10 GB: critical.</li>
 * </ul>
 *
 * <p>Why: a slot nobody reads keeps every WAL segment from its restart_lsn (and, with xmin, the
 * dead rows) until the disk fills. pgmonitor pages (critical) on any inactive slot after 1 min
 * (PGReplicationSlotsInactive) and collects the retained bytes without an alert; the
 * postgres_exporter mixin pages on a slot inactive for 30 min (PostgresHasReplicationSlotUsed),
 * and the exporter exposes safe_wal_size and wal_status per slot. Inactivity alone
 * is not paged here (a consumer reconnecting every few seconds is normal): the WAL it pins is. 1 GB
 * is 64 default segments, a level an active consumer does not reach in normal operation; 10 GB
 * is where a small pg_wal volume is at risk. A capped slot (max_slot_wal_keep_size set) does not
 * fill the disk but is invalidated when safe_wal_size reaches 0, hence the floor. Evaluated on
 * standbys too: their slots (cascading, or logical on 16+) retain their own WAL.
 */
public final class ReplicationSlotRule extends Rule {
    public static final ParamDef<Double> WARNING = optionalBytes("warning", "1GB",
            "WAL retained by an inactive slot above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalBytes("critical", "10GB",
            "WAL retained by an inactive slot above which it is critical");
    public static final ParamDef<Double> SAFE_WAL_FLOOR = optionalBytes("safe_wal_floor", "1GB",
            "safe_wal_size below which to warn (the slot is invalidated at 0)");
    public static final ParamDef<Boolean> LOST = ParamDef.bool("lost", true, "a lost (invalidated) slot is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "replication_slot";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_replication_slots")
                .detects("A replication slot lost (invalidated), close to being lost (safe_wal_size low), or "
                        + "inactive while it retains WAL.")
                .why("An unread slot pins WAL until the disk fills; pgmonitor (1 min) and the postgres_exporter "
                        + "mixin (30 min) page on inactivity alone. Retained WAL, not inactivity, is paged here "
                        + "(a consumer that reconnects now and then is normal): 1 GB (64 segments) warns, "
                        + "10 GB is critical; a capped slot is invalidated at safe_wal_size 0, hence the 1 GB "
                        + "floor; a lost slot needs its consumer rebuilt.")
                .runbook("Reconnect or fix the consumer (standby, CDC tool); if it is gone for good, "
                        + "pg_drop_replication_slot(). A lost slot cannot be reused: drop it and re-seed the "
                        + "consumer.")
                .param(WARNING)
                .param(CRITICAL)
                .param(SAFE_WAL_FLOOR)
                .param(LOST)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            if (Rows.label(row, "slot_name").isEmpty()) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            String slot = Rows.label(row, "slot_name");
            String type = Rows.label(row, "slot_type");
            boolean lost = Rows.valOr(row, "lost", 0) > 0.5;
            Double active = Rows.val(row, "active");
            boolean inactive = active != null && active < 0.5;
            Double retained = Rows.val(row, "retained_wal_bytes");
            Double safe = Rows.val(row, "safe_wal_size_bytes");
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Double floor = p.number(SAFE_WAL_FLOOR);
            Severity level = null;
            List<String> why = new ArrayList<>();
            if (lost && p.bool(LOST)) {
                level = Severity.CRITICAL;
                why.add("lost (invalidated): its consumer cannot resume");
            }
            if (inactive && retained != null) {
                if (c != null && retained > c) {
                    level = Severity.CRITICAL;
                    why.add("inactive and retaining " + Fmt.bytes(retained) + " of WAL");
                } else if (w != null && retained > w) {
                    level = level == null ? Severity.WARNING : level;
                    why.add("inactive and retaining " + Fmt.bytes(retained) + " of WAL");
                }
            }
            if (!lost && safe != null && floor != null && safe < floor) {
                level = level == null ? Severity.WARNING : level;
                why.add("within " + Fmt.bytes(safe) + " of WAL of being invalidated by max_slot_wal_keep_size");
            }
            Double inactiveFor = Rows.val(row, "inactive_seconds");
            String subject = (type.isEmpty() ? "Replication slot " : "Replication slot (" + type + ") ") + slot;
            String summary = why.isEmpty()
                    ? subject + " is healthy" + (retained == null ? "" : " (" + Fmt.bytes(retained) + " retained)")
                    : subject + " is " + String.join("; ", why)
                            + (inactive && inactiveFor != null ? " (inactive for " + Fmt.secs(inactiveFor) + ")" : "");
            ctx.alert(p, Rows.pick(row, "slot_name", "slot_type"), level, retained == null ? 0.0 : retained, w, c,
                    summary, "A slot keeps WAL (and with xmin, dead rows) until its consumer confirms it.");
        }
    }
}
