package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalBytes;
import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>replication_lag</b>: per standby from {@code pg_stat_replication} (replay_lag_seconds,
 * replay_lag_bytes; labels application_name, client_addr): warning above 30 s or 100 MB, critical
 * above 300 s or 1 GB; and per slot from {@code pg_replication_slots}: an inactive slot retaining
 * at least 100 MB of WAL warns (it will fill the disk). For 2 min.
 *
 * <p>Why: pgmonitor and awesome-prometheus-alerts use 30 s-class replay lag and flag inactive
 * slots; byte lag catches a standby that stopped replaying on an idle primary (where time lag
 * reads NULL). NULL replay lag (caught up, nothing to replay) counts as 0.
 *
 * <p>Only physical standbys: a walsender that serves a logical slot (value {@code logical} = 1,
 * the collector joins pg_replication_slots on active_pid; a logical replication or CDC consumer,
 * whose "replay" position is what the subscriber confirmed, which says nothing about a standby)
 * and a base backup's sender ({@code state = backup}) are skipped. A collector that does not send
 * {@code logical} yet (older versions: application_name, client_addr, state only) leaves every
 * streaming walsender counted as a standby, as before.
 *
 * <p>Standby side: on a standby, from {@code pg_stat_wal_receiver}, WAL received but not yet
 * replayed ({@code receive_replay_lag_bytes}) and the age of the last replayed commit while some
 * is waiting, against the same thresholds. It is what remains when the primary's row is gone or
 * the primary is not monitored (a cascading standby, another team's primary); a disconnected
 * standby is standby_missing's.
 */
public final class ReplicationLagRule extends Rule {
    public static final ParamDef<Double> WARNING_SECONDS = optionalNumber("warning_seconds", 30.0,
            "replay lag in seconds (warning)");
    public static final ParamDef<Double> CRITICAL_SECONDS = optionalNumber("critical_seconds", 300.0,
            "replay lag in seconds (critical)");
    public static final ParamDef<Double> WARNING_BYTES = optionalBytes("warning_bytes", "100MB",
            "replay lag in bytes (warning)");
    public static final ParamDef<Double> CRITICAL_BYTES = optionalBytes("critical_bytes", "1GB",
            "replay lag in bytes (critical)");
    public static final ParamDef<Double> INACTIVE_SLOT_RETAINED = optionalBytes("inactive_slot_retained", "100MB",
            "WAL retained by an inactive slot (warning)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "replication_lag";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "2m", "2m")
                .views("pg_stat_replication", "pg_replication_slots", "pg_stat_wal_receiver")
                .detects("A physical standby replaying far behind (time or bytes), or an inactive replication slot "
                        + "retaining WAL. Logical walsenders (`logical` = 1) and base backups are not standbys.")
                .why("pgmonitor / awesome-prometheus-alerts: 30 s replay lag, inactive slots; bytes catch a stalled "
                        + "standby on an idle primary. The standby's own replay lag (pg_stat_wal_receiver) too.")
                .runbook("Check the standby (network, I/O, hot_standby_feedback conflicts); for an inactive slot, "
                        + "reconnect its consumer or drop it with pg_drop_replication_slot before WAL fills the disk.")
                .param(WARNING_SECONDS)
                .param(CRITICAL_SECONDS)
                .param(WARNING_BYTES)
                .param(CRITICAL_BYTES)
                .param(INACTIVE_SLOT_RETAINED)
                .pair(WARNING_SECONDS, CRITICAL_SECONDS, RuleDefinition.Direction.ABOVE)
                .pair(WARNING_BYTES, CRITICAL_BYTES, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_replication_slots".equals(s.getView())) {
            slots(s, ctx);
            return;
        }
        if ("pg_stat_wal_receiver".equals(s.getView())) {
            standbySide(s, ctx);
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            if (!physicalStandby(row)) {
                continue;
            }
            double secs = Rows.valOr(row, "replay_lag_seconds", 0);
            double bytes = Rows.valOr(row, "replay_lag_bytes", 0);
            Params p = ctx.params(row.getLabels());
            Double ws = p.number(WARNING_SECONDS);
            Double cs = p.number(CRITICAL_SECONDS);
            Double wb = p.number(WARNING_BYTES);
            Double cb = p.number(CRITICAL_BYTES);
            boolean crit = (cs != null && secs > cs) || (cb != null && bytes > cb);
            boolean warn = (ws != null && secs > ws) || (wb != null && bytes > wb);
            Map<String, String> labels = Rows.pick(row, "application_name", "client_addr");
            ctx.alert(p, labels, crit ? Severity.CRITICAL : warn ? Severity.WARNING : null, secs, ws, cs,
                    "Standby " + labels.get("application_name") + " (" + labels.get("client_addr") + ") replays "
                            + Fmt.secs(secs) + " / " + Fmt.bytes(bytes) + " behind",
                    "Replay lag from pg_stat_replication on the primary.");
        }
    }

    /**
     * The standby's own view (one row on a server in recovery): WAL received but not replayed yet,
     * and the age of the last replayed commit while there is something to replay (with nothing to
     * replay the age only says the primary is idle: 0, as pgmonitor's replica lag query does).
     * Same thresholds; the series has no labels (it is the instance's own lag).
     */
    private void standbySide(Snapshot s, RuleContext ctx) throws Exception {
        if (s.getRows().isEmpty()) {
            return;
        }
        SnapshotRow row = s.getRows().get(0);
        Double bytes = Rows.val(row, "receive_replay_lag_bytes");
        if (bytes == null) {
            return;
        }
        double secs = bytes > 0 ? Rows.valOr(row, "replay_timestamp_age_seconds", 0) : 0;
        Params p = ctx.params(row.getLabels());
        Double ws = p.number(WARNING_SECONDS);
        Double cs = p.number(CRITICAL_SECONDS);
        Double wb = p.number(WARNING_BYTES);
        Double cb = p.number(CRITICAL_BYTES);
        boolean crit = (cs != null && secs > cs) || (cb != null && bytes > cb);
        boolean warn = (ws != null && secs > ws) || (wb != null && bytes > wb);
        ctx.alert(p, Map.of(), crit ? Severity.CRITICAL : warn ? Severity.WARNING : null, secs, ws, cs,
                "This standby has " + Fmt.bytes(bytes) + " of received WAL to replay, " + Fmt.secs(secs) + " behind",
                "Replay lag measured on the standby (pg_stat_wal_receiver, pg_last_xact_replay_timestamp()).");
    }

    /** Not a logical walsender (logical = 1) nor a base backup's sender (state backup). */
    static boolean physicalStandby(SnapshotRow row) {
        return Rows.valOr(row, "logical", 0) < 0.5 && !"backup".equals(Rows.label(row, "state"));
    }

    private void slots(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double active = Rows.val(row, "active");
            Double retained = Rows.val(row, "retained_wal_bytes");
            if (active == null || retained == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            Double limit = p.number(INACTIVE_SLOT_RETAINED);
            boolean bad = active < 0.5 && limit != null && retained >= limit;
            ctx.alert(p, Rows.pick(row, "slot_name"), bad ? Severity.WARNING : null, retained, limit, null,
                    "Replication slot " + Rows.label(row, "slot_name") + " is " + (active < 0.5 ? "inactive" : "active")
                            + " and retains " + Fmt.bytes(retained) + " of WAL",
                    "An inactive slot keeps all WAL since its restart_lsn: the disk fills until it is consumed or dropped.");
        }
    }
}
