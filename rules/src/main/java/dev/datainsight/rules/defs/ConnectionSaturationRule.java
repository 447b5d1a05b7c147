package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>connection_saturation</b>: client connections as a share of the slots ordinary roles can use,
 * {@code connections_total / (max_connections − reserved_connections)} from the
 * {@code pg_stat_activity} view. Warning above 80 % for 2 min, critical above 95 %.
 *
 * <p>Why: pgmonitor and awesome-prometheus-alerts page at 80–90 % of max_connections; dividing
 * by the usable slots (superuser_reserved + reserved_connections taken out) matters because
 * applications get "too many clients" while the raw ratio still reads 97 %. 2 min rides out
 * connection-pool bursts at deploys. The collector's own sessions ({@code collector_connections},
 * excluded from {@code connections_total}) are added back: they hold slots too. The summary names
 * the applications holding most slots, from {@code pg_stat_activity_connections} of the same cycle.
 */
public final class ConnectionSaturationRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.80,
            "share of usable connections (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 0.95,
            "share of usable connections (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "connection_saturation";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "2m", "2m")
                .views("pg_stat_activity")
                .detects("Client connections near the usable limit (max_connections minus reserved slots). Names the "
                        + "applications holding most slots.")
                .why("pgmonitor / awesome-prometheus-alerts page at 80-90% of max_connections; reserved slots are "
                        + "taken out because applications fail before the raw ratio reaches 100%; 2 min rides out "
                        + "pool bursts.")
                .context("up to 5 `connections` items: the largest connection groups (application, user, client, state, count).")
                .runbook("Find who holds connections (pg_stat_activity by usename, application_name, state); "
                        + "kill idle leaks, put a pooler (PgBouncer) in front, or raise max_connections with a restart.")
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    protected Double value(SnapshotRow row) {
        Double total = Rows.val(row, "connections_total");
        Double max = Rows.val(row, "max_connections");
        if (total == null || max == null) {
            return null;
        }
        double usable = max - Rows.valOr(row, "reserved_connections", 0);
        // The collector's own sessions are counted apart but hold slots like any other.
        return usable <= 0 ? null : (total + Rows.valOr(row, "collector_connections", 0)) / usable;
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        double max = Rows.valOr(row, "max_connections", 0);
        double usable = max - Rows.valOr(row, "reserved_connections", 0);
        double collector = Rows.valOr(row, "collector_connections", 0);
        return Fmt.num(Rows.valOr(row, "connections_total", 0) + collector) + " of " + Fmt.num(usable)
                + " usable connections in use (" + Fmt.pct(v) + "; max_connections " + Fmt.num(max)
                + (collector > 0 ? "; " + Fmt.num(collector) + " of them the collector's" : "") + ")";
    }

    /** The context: the largest connection groups (usename, application_name, client_addr, state), at most 5. */
    @Override
    protected dev.datainsight.model.AlertContext context(SnapshotRow row, double v, RuleContext ctx) {
        if (ctx.detail(Sessions.CONNECTIONS).isEmpty()) {
            return null;
        }
        dev.datainsight.model.AlertContext c = dev.datainsight.model.AlertContext.create();
        Sessions.connectionItems(c, ctx, 5);
        return c;
    }

    /** Names the top holders from the detail of the same cycle: "…: billing-api holds 31 of 37 usable slots, 29 idle". */
    @Override
    protected String summary(SnapshotRow row, double v, RuleContext ctx) {
        double usable = Rows.valOr(row, "max_connections", 0) - Rows.valOr(row, "reserved_connections", 0);
        String holders = Sessions.holders(ctx, usable, 3);
        return holders.isEmpty() ? summary(row, v) : holders + " — " + summary(row, v);
    }
}
