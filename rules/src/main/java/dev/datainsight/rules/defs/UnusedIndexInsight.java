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
 * <b>unused_index</b> (insight): an index of {@code pg_stat_user_indexes} whose idx_scan has not
 * moved for 7 days of observation, larger than 10 MB, and neither unique nor primary (those
 * enforce constraints even when never scanned).
 *
 * <p>Why: pgHero and pganalyze list unused indexes: they cost writes, WAL, vacuum and cache.
 * Seven days cover weekly jobs; 10 MB keeps the list to what is worth a migration.
 */
public final class UnusedIndexInsight extends Rule {
    public static final ParamDef<Duration> UNUSED_FOR = ParamDef.duration("unused_for", "7d",
            "observation time with no index scan");
    public static final ParamDef<Double> MIN_SIZE = ParamDef.bytes("min_size", "10MB",
            "index size below which it is not reported");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "unused_index";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.insight(NAME)
                .views("pg_stat_user_indexes")
                .detects("Indexes never scanned for a week (not unique, not primary, > 10 MB): candidates to drop.")
                .why("pgHero / pganalyze list unused indexes; 7 days covers weekly jobs, 10 MB keeps it to what matters.")
                .runbook("Check replicas too (idx_scan is per server) before DROP INDEX CONCURRENTLY.")
                .param(UNUSED_FOR)
                .param(MIN_SIZE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double scans = Rows.val(row, "idx_scan");
            if (scans == null || Rows.valOr(row, "is_unique", 0) > 0.5 || Rows.valOr(row, "is_primary", 0) > 0.5) {
                continue;
            }
            Map<String, String> labels = Rows.pick(row, "datname", "schemaname", "relname", "indexrelname");
            String key = Rows.key(labels);
            Params p = ctx.params(row.getLabels());
            // t[0] = since when idx_scan has stood still; v[0] = that idx_scan; mark = last written.
            Memory m = ctx.memory(key);
            if (m == null || m.v[0] != scans) {
                long mark = m == null ? Long.MIN_VALUE : m.mark;
                m = Memory.of(new long[] {ctx.now()}, new double[] {scans});
                m.mark = mark;
            }
            double size = Rows.valOr(row, "index_size_bytes", 0);
            long idle = ctx.now() - m.t[0];
            if (idle >= p.millis(UNUSED_FOR) && size >= p.number(MIN_SIZE) && p.enabled()
                    && (m.mark == Long.MIN_VALUE || ctx.now() - m.mark >= p.millis(RuleDefinition.REFRESH))) {
                m.mark = ctx.now();
                String subject = labels.get("datname") + "." + labels.get("schemaname") + "." + labels.get("indexrelname");
                Map<String, Object> ev = new LinkedHashMap<>(labels);
                ev.put("index_size_bytes", size);
                ev.put("idx_scan", scans);
                ev.put("unused_for_seconds", idle / 1000);
                ctx.insight(NAME, subject, "info", "Index " + subject + " on " + labels.get("relname") + " ("
                        + Fmt.bytes(size) + ") has not been scanned for " + Fmt.duration(idle / 3_600_000 * 3_600_000),
                        Fmt.json(ev));
            }
            m.touched = ctx.now();
            ctx.remember(key, m);
        }
    }
}
