package dev.datainsight.collector.probe;

import java.util.Map;

/**
 * Checkpoints, always under the PostgreSQL 17+ names of {@code pg_stat_checkpointer}.
 *
 * <ul>
 *   <li>13..16: read from {@code pg_stat_bgwriter} ({@code checkpoints_timed} → num_timed,
 *       {@code checkpoints_req} → num_requested, {@code checkpoint_write_time} → write_time,
 *       {@code checkpoint_sync_time} → sync_time, {@code buffers_checkpoint} → buffers_written);
 *       num_done = timed + requested. On a standby (in recovery) those columns count
 *       restartpoints, so they are sent as restartpoints_timed / restartpoints_req /
 *       restartpoints_done and num_* are null; on a primary the restartpoint columns are null.</li>
 *   <li>17: {@code pg_stat_checkpointer}; num_done = num_timed + num_requested (17 has no
 *       num_done column).</li>
 *   <li>18+: {@code num_done} is read as is. On 18, num_timed and num_requested also count
 *       checkpoints that were skipped because the server was idle, so only num_done counts
 *       checkpoints actually performed.</li>
 * </ul>
 */
public final class CheckpointerProbe extends QueryProbe {

    public CheckpointerProbe() {
        super("pg_stat_checkpointer", ProbeGroup.SLOW, SqlVariants.of("pg_stat_checkpointer", Map.of(
                130000, """
                        SELECT CASE WHEN NOT r.rec THEN b.checkpoints_timed END AS num_timed,
                          CASE WHEN NOT r.rec THEN b.checkpoints_req END AS num_requested,
                          CASE WHEN NOT r.rec THEN b.checkpoints_timed + b.checkpoints_req END AS num_done,
                          CASE WHEN r.rec THEN b.checkpoints_timed END AS restartpoints_timed,
                          CASE WHEN r.rec THEN b.checkpoints_req END AS restartpoints_req,
                          CASE WHEN r.rec THEN b.checkpoints_timed + b.checkpoints_req END AS restartpoints_done,
                          b.checkpoint_write_time AS write_time, b.checkpoint_sync_time AS sync_time,
                          b.buffers_checkpoint AS buffers_written, b.stats_reset
                        FROM pg_catalog.pg_stat_bgwriter b
                        CROSS JOIN (SELECT pg_catalog.pg_is_in_recovery() AS rec) r""",
                170000, """
                        SELECT c.num_timed, c.num_requested, c.num_timed + c.num_requested AS num_done,
                          c.restartpoints_timed, c.restartpoints_req, c.restartpoints_done,
                          c.write_time, c.sync_time, c.buffers_written, c.stats_reset
                        FROM pg_catalog.pg_stat_checkpointer c""",
                180000, """
                        SELECT c.num_timed, c.num_requested, c.num_done,
                          c.restartpoints_timed, c.restartpoints_req, c.restartpoints_done,
                          c.write_time, c.sync_time, c.buffers_written, c.stats_reset
                        FROM pg_catalog.pg_stat_checkpointer c""")));
    }
}
