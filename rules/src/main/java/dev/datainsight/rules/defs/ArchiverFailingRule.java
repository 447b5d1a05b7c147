package dev.datainsight.rules.defs;

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
import java.time.Duration;
import java.util.Map;

/**
 * <b>archiver_failing</b> (per instance, critical): from the {@code pg_stat_archiver} row, either
 * {@code failed_count} went up within the last 5 min, or segments are waiting
 * ({@code ready_count > 0}) while the last successful archive is older than 1 h.
 *
 * <p>Why: a failing {@code archive_command} keeps every unarchived segment in pg_wal, which fills
 * the disk and stops the server, and point-in-time recovery has a hole from the first failure.
 * pgmonitor's PGArchiveCommandStatus (critical) fires when its {@code seconds_since_last_fail}
 * is above 300, that is {@code last_failed_time - last_archived_time}: the last failure came more
 * than 5 min after the last success, archiving has been failing for 5 min. Here a failure counted
 * within the last 5 min holds the condition, so the first failures page (no success needed
 * in between: a flapping archiver pages too) and a healed archiver resolves 5 min after its last
 * failure. The age check
 * catches a command that hangs instead of failing (no failures counted, nothing archived, the
 * backlog growing); with nothing ready an idle server that archived nothing for hours is
 * healthy, hence {@code ready_count > 0}. When ready_count is not readable (no pg_monitor) the
 * age check is skipped and the failure check alone counts. Evaluated on standbys too: with
 * {@code archive_mode = always} a standby archives on its own.
 */
public final class ArchiverFailingRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "5m",
            "a failure counted within this long holds the condition");
    public static final ParamDef<Duration> MAX_ARCHIVE_AGE = ParamDef.duration("max_archive_age", "1h",
            "with segments ready, the last successful archive older than this holds the condition");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "archiver_failing";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_archiver")
                .detects("WAL archiving failing (archive_command errors in the last 5 min), or stuck: segments "
                        + "ready while nothing was archived for an hour.")
                .why("Unarchived WAL stays in pg_wal until the disk fills, and point-in-time recovery has a gap "
                        + "from the first failure. pgmonitor pages when the last failure is over 5 min newer than the "
                        + "last success (last_failed_time - last_archived_time > 300 s); here any failure in the last "
                        + "5 min holds, so failing archiving pages sooner and a healed one resolves 5 min after. The "
                        + "age check (only while .ready segments wait) catches a hanging command.")
                .runbook("Read the server log for the archive_command error (permissions, full target, network); "
                        + "fix it and watch failed_count stop and ready_count drain. Never delete files in pg_wal.")
                .param(WINDOW)
                .param(MAX_ARCHIVE_AGE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double failed = Rows.val(row, "failed_count");
            if (failed == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            Memory m = Rises.see(ctx.memory(""), failed, ctx.now(), Rows.reset(s.getStatsReset()));
            ctx.remember("", m);
            Double ready = Rows.val(row, "ready_count");
            Double age = Rows.val(row, "last_archived_age_seconds");
            boolean failing = Rises.within(m, ctx.now(), p.millis(WINDOW));
            double maxAge = p.millis(MAX_ARCHIVE_AGE) / 1000.0;
            boolean stuck = ready != null && ready > 0 && age != null && age > maxAge;
            Severity level = failing || stuck ? Severity.CRITICAL : null;
            String readyText = ready == null ? "unknown" : Fmt.num(ready);
            String summary;
            if (failing) {
                long since = ctx.now() - m.t[0];
                summary = "WAL archiving is failing: failed_count rose by " + Fmt.num(m.v[1])
                        + (since < 1000 ? " just now" : " " + Fmt.duration(since) + " ago") + "; " + readyText
                        + " segment(s) waiting"
                        + (age == null ? "" : ", last archived " + Fmt.secs(age) + " ago");
            } else if (stuck) {
                summary = "WAL archiving is stuck: " + readyText + " segment(s) waiting and nothing archived for "
                        + Fmt.secs(age);
            } else {
                summary = "WAL archiving is working (" + readyText + " segment(s) waiting)";
            }
            ctx.alert(p, Map.of(), level, failing ? m.v[1] : age == null ? 0.0 : age, null, stuck ? maxAge : null,
                    summary, "Unarchived WAL accumulates in pg_wal (disk) and point-in-time recovery has a gap.");
        }
    }
}
