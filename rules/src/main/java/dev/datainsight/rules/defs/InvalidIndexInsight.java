package dev.datainsight.rules.defs;

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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * <b>invalid_index</b> (insight, warning): an index of {@code pg_stat_user_indexes} with
 * {@code is_valid = 0} for at least 1 h of observation.
 *
 * <p>Why: a failed or cancelled {@code CREATE INDEX CONCURRENTLY} / {@code REINDEX CONCURRENTLY}
 * leaves an invalid index behind: the planner never uses it, yet every write still maintains it,
 * and a unique one still enforces uniqueness. pgHero and check_postgres report invalid indexes
 * for that reason. An index being built concurrently is invalid until the build ends, hence the
 * hour of observation before it is reported.
 */
public final class InvalidIndexInsight extends Rule {
    public static final ParamDef<Duration> INVALID_FOR = ParamDef.duration("invalid_for", "1h",
            "observation time with the index invalid (a concurrent build in progress is invalid too)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "invalid_index";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.insight(NAME)
                .views("pg_stat_user_indexes")
                .detects("Invalid indexes (a failed CREATE/REINDEX CONCURRENTLY): never used, still maintained.")
                .why("pgHero / check_postgres report them: writes pay for an index the planner ignores. One hour of "
                        + "observation so a concurrent build still in progress is not reported.")
                .runbook("DROP INDEX CONCURRENTLY the invalid index, then create it again (or REINDEX INDEX "
                        + "CONCURRENTLY); find why the build failed (deadlock, unique violation, cancel).")
                .param(INVALID_FOR)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double valid = Rows.val(row, "is_valid");
            if (valid == null) {
                continue;
            }
            Map<String, String> labels = Rows.pick(row, "datname", "schemaname", "relname", "indexrelname");
            String key = Rows.key(labels);
            if (valid > 0.5) {
                if (ctx.memory(key) != null) {
                    ctx.forget(key);
                }
                continue;
            }
            Params p = ctx.params(row.getLabels());
            // t[0] = first seen invalid; mark = when last reported.
            Memory m = ctx.memory(key);
            if (m == null) {
                m = Memory.of(new long[] {ctx.now()}, new double[0]);
                m.mark = Long.MIN_VALUE;
            }
            long invalidFor = ctx.now() - m.t[0];
            if (invalidFor >= p.millis(INVALID_FOR) && p.enabled()
                    && (m.mark == Long.MIN_VALUE || ctx.now() - m.mark >= p.millis(RuleDefinition.REFRESH))) {
                m.mark = ctx.now();
                String subject = labels.get("datname") + "." + labels.get("schemaname") + "." + labels.get("indexrelname");
                double size = Rows.valOr(row, "index_size_bytes", 0);
                Map<String, Object> ev = new LinkedHashMap<>(labels);
                ev.put("index_size_bytes", size);
                ev.put("is_unique", Rows.valOr(row, "is_unique", 0));
                ev.put("invalid_for_seconds", invalidFor / 1000);
                ctx.insight(NAME, subject, "warning", "Index " + subject + " on " + labels.get("relname") + " ("
                        + Fmt.bytes(size) + ") is invalid: the planner does not use it, writes still maintain it",
                        Fmt.json(ev));
            }
            m.touched = ctx.now();
            ctx.remember(key, m);
        }
    }
}
