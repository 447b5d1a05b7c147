package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

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
 * <b>sessions_fatal_killed</b> (per database, PostgreSQL 14+): {@code sessions_fatal +
 * sessions_killed} of {@code pg_stat_database} rising: more than 10 sessions ended by a fatal
 * error or killed by an operator within a 5 min bucket warns, more than 50 is critical (the
 * increase is measured over tumbling 5 min buckets, the current one and the one before:
 * {@link Buckets}).
 *
 * <p>Why: a session ended by FATAL (idle_session_timeout, idle_in_transaction_session_timeout,
 * an out-of-memory or other fatal error) or killed by SIGTERM (pg_terminate_backend, or a fast
 * shutdown: the backend's {@code die()} handler records the session as killed) is lost work for
 * the client; a handful is housekeeping (a pooler's timeouts, an operator ending a runaway
 * query), a burst is an incident: a tool or a script killing sessions, a timeout set too short.
 * A backend crash is not counted: the other sessions end by SIGQUIT, which records nothing, and
 * crash recovery resets the statistics (server_restarted pages on that). 10 and 50 per 5 min
 * separate the two on typical pools. The counters do not exist before 14 (null: skipped).
 * Evaluated on standbys too: their sessions are their own.
 */
public final class SessionsFatalKilledRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "5m", "bucket of the count");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 10.0,
            "sessions ended by FATAL or killed within a bucket above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 50.0,
            "sessions ended by FATAL or killed within a bucket above which it is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "sessions_fatal_killed";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_database")
                .detects("Bursts of sessions ended by a fatal error or killed (pg_terminate_backend), 14+.")
                .why("A few are housekeeping (timeouts, an operator ending a runaway query); more than 10 in 5 min "
                        + "is an incident (a tool killing connections, a timeout set too short), more than 50 is "
                        + "critical. A crash is not counted (SIGQUIT records nothing, recovery resets the counters).")
                .runbook("The server log says why (FATAL lines: 'terminating connection due to idle-session "
                        + "timeout', 'terminating connection due to administrator command').")
                .param(WINDOW)
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double fatal = Rows.val(row, "sessions_fatal");
            Double killed = Rows.val(row, "sessions_killed");
            String db = Rows.label(row, "datname");
            if (fatal == null && killed == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            long window = p.millis(WINDOW);
            double total = (fatal == null ? 0 : fatal) + (killed == null ? 0 : killed);
            Memory m = Buckets.see(ctx.memory(db), total, ctx.now(), Rows.reset(row.getStatsReset()), window);
            ctx.remember(db, m);
            double recent = Buckets.recent(m);
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && recent > c ? Severity.CRITICAL : w != null && recent > w ? Severity.WARNING : null;
            ctx.alert(p, Rows.pick(row, "datname"), level, recent, w, c,
                    Fmt.num(recent) + " session(s) of database " + db + " ended by a fatal error or killed within "
                            + Fmt.duration(window) + " (" + Fmt.num(fatal == null ? 0 : fatal) + " fatal, "
                            + Fmt.num(killed == null ? 0 : killed) + " killed since the statistics reset)",
                    "Sessions ended by FATAL or pg_terminate_backend: lost work for the clients.");
        }
    }
}
