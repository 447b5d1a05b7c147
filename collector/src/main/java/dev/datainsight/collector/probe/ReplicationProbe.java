package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pg_stat_replication}: one row per WAL sender streaming to a standby or a logical
 * consumer. pg_basebackup's senders (state {@code backup}) are left out. Per sender: write /
 * flush / replay lag in seconds; sent / write / flush / replay lag in bytes from the current WAL
 * position (on a cascading standby: from the last received position); {@code sync_state} coded
 * 0 async, 1 potential, 2 sync, 3 quorum; the age of its {@code backend_xmin} (a standby's
 * hot_standby_feedback); {@code logical} = 1 when it serves a logical slot (pg_replication_slots
 * joined on active_pid); its {@code pid}.
 *
 * <p>Two senders with the same labels (two standbys with the default application_name
 * {@code walreceiver} from one address) would be one series: their application_name then
 * becomes {@code name [pid N]}, so every row is its own. Same SQL on 13..18.
 */
public final class ReplicationProbe extends QueryProbe {

    public ReplicationProbe() {
        super("pg_stat_replication", ProbeGroup.FAST, SqlVariants.single("pg_stat_replication", """
                SELECT r.application_name, pg_catalog.host(r.client_addr) AS client_addr, r.state,
                  EXTRACT(EPOCH FROM r.write_lag) AS write_lag_seconds,
                  EXTRACT(EPOCH FROM r.flush_lag) AS flush_lag_seconds,
                  EXTRACT(EPOCH FROM r.replay_lag) AS replay_lag_seconds,
                  pg_catalog.pg_wal_lsn_diff(p.pos, r.replay_lsn) AS replay_lag_bytes,
                  r.pid,
                  pg_catalog.pg_wal_lsn_diff(p.pos, r.sent_lsn) AS sent_lag_bytes,
                  pg_catalog.pg_wal_lsn_diff(p.pos, r.write_lsn) AS write_lag_bytes,
                  pg_catalog.pg_wal_lsn_diff(p.pos, r.flush_lsn) AS flush_lag_bytes,
                  CASE r.sync_state WHEN 'async' THEN 0 WHEN 'potential' THEN 1 WHEN 'sync' THEN 2
                    WHEN 'quorum' THEN 3 END AS sync_state,
                  pg_catalog.age(r.backend_xmin) AS backend_xmin_age,
                  EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s
                          WHERE s.active_pid = r.pid AND s.slot_type = 'logical') AS logical
                FROM pg_catalog.pg_stat_replication r
                CROSS JOIN (SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_receive_lsn()
                                   ELSE pg_catalog.pg_current_wal_lsn() END AS pos) p
                WHERE r.state IS DISTINCT FROM 'backup'
                ORDER BY r.application_name, 2, r.pid"""));
    }

    @Override
    protected List<SnapshotRow> run(Connection c, String text, ProbeContext ctx) throws SQLException {
        List<SnapshotRow> rows = super.run(c, text, ctx);
        Map<Map<String, String>, Integer> count = new HashMap<>();
        for (SnapshotRow r : rows) {
            count.merge(Map.copyOf(r.getLabels()), 1, Integer::sum);
        }
        for (SnapshotRow r : rows) {
            if (count.get(Map.copyOf(r.getLabels())) > 1) {
                Double pid = r.getValues().get("pid");
                r.getLabels().put("application_name", r.getLabels().get("application_name") + " [pid "
                        + (pid == null ? "?" : Long.toString(pid.longValue())) + "]");
            }
        }
        return rows;
    }
}
