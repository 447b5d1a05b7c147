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
 * <b>checksum_failures</b> (per database, critical): any increase of
 * {@code pg_stat_database.checksum_failures}. The condition holds for 1 h after the last
 * increase, then resolves unless another failure came.
 *
 * <p>Why: a data-page checksum failure means a page read from storage is not the page PostgreSQL
 * wrote (disk, controller, filesystem or memory fault); one is already a corruption to act on,
 * so there is no rate threshold (pgmonitor's PGDataChecksum is critical on
 * {@code checksum_failures > 0}, a cumulative count, so it stays on until the statistics are
 * reset; here an increase holds for {@code hold}, then resolves). The
 * counter is null when data checksums are off, and those databases are skipped. The first value
 * seen is a baseline: failures counted before DataInsight watched are not re-announced on every
 * job start. Evaluated on standbys too: a standby reads its own copy of the pages.
 */
public final class ChecksumFailuresRule extends Rule {
    public static final ParamDef<Duration> HOLD = ParamDef.duration("hold", "1h",
            "how long the condition holds after the last increase");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "checksum_failures";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_database")
                .detects("Data-page checksum failures (corrupted pages read from storage): any new one.")
                .why("A checksum failure is a corrupted page, not a rate to tune: any increase is critical "
                        + "(pgmonitor's PGDataChecksum: critical on any failure). Held for an hour so the page does not resolve "
                        + "between two reads of the same bad block.")
                .runbook("Find the relation in the server log (invalid page / checksum mismatch), check the "
                        + "storage and memory, restore the damaged relation from a backup or a healthy replica.")
                .param(HOLD)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double c = Rows.val(row, "checksum_failures");
            if (c == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            Memory m = Rises.see(ctx.memory(db), c, ctx.now(), Rows.reset(row.getStatsReset()));
            ctx.remember(db, m);
            boolean holds = Rises.within(m, ctx.now(), p.millis(HOLD));
            String where = db.isEmpty() ? "shared catalogs" : "database " + db;
            ctx.alert(p, Rows.pick(row, "datname"), holds ? Severity.CRITICAL : null, c, null, 0.0,
                    holds ? Fmt.num(m.v[1]) + " new data checksum failure(s) in " + where + " ("
                            + Fmt.num(c) + " counted since the statistics reset)"
                            : "No new checksum failure in " + where,
                    "A page read from storage did not match its checksum: the storage returned corrupted data.");
        }
    }
}
