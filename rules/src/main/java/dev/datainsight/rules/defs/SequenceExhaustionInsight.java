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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * <b>sequence_exhaustion</b> (insight): a sequence of {@code pg_sequences} that has used more than
 * 75 % of its range ({@code used_ratio}, last_value / max_value).
 *
 * <p>Why: check_postgres' "sequence" action warns at 75 %; an int4 serial running out stops
 * inserts, and moving to bigint takes planning, so it is a finding long before it is a page.
 */
public final class SequenceExhaustionInsight extends Rule {
    public static final ParamDef<Double> THRESHOLD = ParamDef.number("threshold", 0.75,
            "used share of the sequence's range");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "sequence_exhaustion";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.insight(NAME)
                .views("pg_sequences")
                .detects("Sequences that have used most of their range (int4 serials running out).")
                .why("check_postgres warns at 75%; moving a column to bigint needs planning.")
                .runbook("ALTER SEQUENCE ... AS bigint and the column to bigint, or cycle/reset if safe.")
                .param(THRESHOLD)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double used = Rows.val(row, "used_ratio");
            if (used == null) {
                continue;
            }
            Map<String, String> labels = Rows.pick(row, "datname", "schemaname", "sequencename");
            Params p = ctx.params(row.getLabels());
            if (!p.enabled() || used <= p.number(THRESHOLD)) {
                continue;
            }
            String key = Rows.key(labels);
            Memory m = ctx.memory(key);
            if (m != null && ctx.now() - m.mark < p.millis(RuleDefinition.REFRESH)) {
                continue;
            }
            m = new Memory();
            m.mark = ctx.now();
            m.touched = ctx.now();
            ctx.remember(key, m);
            String subject = labels.get("datname") + "." + labels.get("schemaname") + "." + labels.get("sequencename");
            Map<String, Object> ev = new LinkedHashMap<>(labels);
            ev.put("used_ratio", used);
            ev.put("last_value", Rows.val(row, "last_value"));
            ev.put("max_value", Rows.val(row, "max_value"));
            ctx.insight(NAME, subject, used > 0.9 ? "warning" : "info",
                    "Sequence " + subject + " has used " + Fmt.pct(used) + " of its range", Fmt.json(ev));
        }
    }
}
