package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>wal_ready_backlog</b> (per instance): {@code ready_count} of the {@code pg_stat_archiver}
 * row, the WAL segments waiting to be archived (.ready files). Warning above 128 segments,
 * critical above 1024; the summary gives the WAL directory's size ({@code wal_dir_bytes}).
 *
 * <p>Why: archiving keeps up when the backlog stays at a few segments; a growing one means
 * archive_command is slower than the WAL written (or failing: see archiver_failing), and every
 * waiting segment stays in pg_wal. 128 segments is 2 GB at the default 16 MB segment size, a
 * backlog archiving does not reach in normal operation; 1024 (16 GB) is where a pg_wal volume
 * sized for max_wal_size is at risk. With {@code for} (10 min) a burst of WAL that archiving
 * drains (a bulk load) does not page. Evaluated on standbys too ({@code archive_mode = always}).
 */
public final class WalReadyBacklogRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 128.0,
            "segments waiting to be archived above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 1024.0,
            "segments waiting to be archived above which it is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "wal_ready_backlog";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "10m", "5m")
                .views("pg_stat_archiver")
                .detects("WAL segments piling up waiting for archive_command (archiving slower than WAL is written).")
                .why("A keeping-up archiver leaves a few .ready segments; 128 (2 GB at 16 MB segments) is a backlog "
                        + "normal operation does not reach, 1024 (16 GB) endangers a pg_wal sized for max_wal_size. "
                        + "10 min of `for` lets a bulk load's burst drain.")
                .runbook("Check archiver_failing first; otherwise make archive_command faster (parallel or "
                        + "asynchronous archiving in the backup tool, compression off the critical path).")
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    protected Double value(SnapshotRow row) {
        return Rows.val(row, "ready_count");
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        Double dir = Rows.val(row, "wal_dir_bytes");
        return Fmt.num(v) + " WAL segment(s) waiting to be archived" + (dir == null ? "" : "; pg_wal holds "
                + Fmt.bytes(dir));
    }
}
