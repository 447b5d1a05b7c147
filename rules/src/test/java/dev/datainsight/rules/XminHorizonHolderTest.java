package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Snapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which holder xmin_horizon names when two tie. A snapshot taken while a prepared transaction is
 * the oldest running one has that transaction's xid as its xmin, so any session running a query
 * (or an autovacuum worker) is exactly as old as the prepared transaction, and the collector's
 * {@code holder} says "session" on a tie. Seen on a real server
 * ({@link PrimaryRulesRealServerITCase}): the session consuming xids was named, pid and all.
 */
class XminHorizonHolderTest {
    private static final long T0 = 1_700_000_000_000L;

    private static Snapshot horizon(double age, double holder, Double pid, double backendAge, Double preparedAge) {
        return of("xmin_horizon", T0, row(Map.of(), "horizon_age", age, "holder", holder, "holder_pid", pid,
                "holder_xact_age_seconds", pid == null ? null : 0.0, "backend_xmin_age", backendAge,
                "prepared_xact_age", preparedAge));
    }

    private static String summary(Snapshot s) throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("xmin_horizon", "warning: 100000, critical: 1000000, for: 0s")))) {
            List<AlertEvent> ev = h.push(s);
            assertEquals(1, ev.size(), ev.toString());
            return ev.get(0).getSummary();
        }
    }

    @Test
    void aSessionTiedWithAPreparedTransaction_namesThePreparedTransaction() throws Exception {
        assertEquals("The xmin horizon is 120382 transactions old, held by a prepared transaction",
                summary(horizon(120382, 1, 1328.0, 120382, 120382.0)));
    }

    @Test
    void aSessionOlderThanAPreparedTransaction_isStillTheHolder() throws Exception {
        assertEquals("The xmin horizon is 120382 transactions old, held by a session (pid 1328), transaction open for 0 s",
                summary(horizon(120382, 1, 1328.0, 120382, 5000.0)));
    }
}
