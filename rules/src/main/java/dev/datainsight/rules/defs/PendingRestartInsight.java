package dev.datainsight.rules.defs;

import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * <b>pending_restart</b> (insight, info): settings changed in the configuration and reloaded that
 * take effect only after a restart, from the {@code pg_settings_pending_restart} rows (one per
 * such setting: {@code pg_settings.pending_restart}). One finding per instance, listing them,
 * re-reported every {@code refresh} while they stay pending.
 *
 * <p>Why: the running server does not use the file's value (shared_buffers, max_connections,
 * wal_level...), so the configuration in version control and the server disagree until the next
 * restart, which then changes behaviour by surprise. An insight, not an alert: nothing breaks
 * until the restart, and the restart is a planned action.
 */
public final class PendingRestartInsight extends Rule {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "pending_restart";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.insight(NAME)
                .views("pg_settings_pending_restart")
                .detects("Settings changed and reloaded that only take effect after a restart.")
                .why("The server runs with other values than its configuration says, and the next restart changes "
                        + "them by surprise; nothing breaks before, so an insight.")
                .runbook("Plan a restart, or revert the change in the configuration; SELECT name, setting FROM "
                        + "pg_settings WHERE pending_restart lists them.")
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        List<String> names = new ArrayList<>();
        Params p = null;
        for (SnapshotRow row : s.getRows()) {
            if (Rows.valOr(row, "pending_restart", 1) > 0.5 && !Rows.label(row, "name").isEmpty()) {
                names.add(Rows.label(row, "name"));
                if (p == null) {
                    p = ctx.params(row.getLabels());
                }
            }
        }
        Memory m = ctx.memory("");
        if (names.isEmpty()) {
            if (m != null) {
                ctx.forget("");
            }
            return;
        }
        java.util.Collections.sort(names);
        String list = String.join(", ", names);
        // mark = when last reported; text = the settings reported then (a new list reports at once).
        if (!p.enabled() || m != null && list.equals(m.text) && ctx.now() - m.mark < p.millis(RuleDefinition.REFRESH)) {
            return;
        }
        m = new Memory();
        m.mark = ctx.now();
        m.text = list;
        m.touched = ctx.now();
        ctx.remember("", m);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("settings", list);
        ev.put("count", names.size());
        ctx.insight(NAME, "settings", "info", names.size() + " setting(s) changed but pending a restart: " + list,
                Fmt.json(ev));
    }
}
