package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.ActivityProbe;
import dev.datainsight.collector.probe.ProbeContext;
import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.collector.probe.ProbeOutput;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A session whose transaction starts after the probe's own transaction started (and before the
 * activity snapshot is read) must not get a negative age: the job rejects negative seconds and
 * dead-letters the whole snapshot. Seen under load in the churn end-to-end test; made
 * deterministic here by holding the probe's transaction open while the other one begins.
 */
class NonNegativeAgesTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Test
    void aTransactionStartedAfterTheProbesOwnStart_hasAnAgeOfZeroOrMore() throws Exception {
        String db = PG.freshDatabase("ages");
        try (Connection probe = PG.server().connect(db); Connection other = PG.server().connect(db)) {
            probe.setAutoCommit(false);
            try (Statement st = probe.createStatement()) {
                st.execute("SELECT pg_catalog.now()"); // the probe's transaction (and now()) starts here
            }
            Thread.sleep(200);
            other.setAutoCommit(false);
            try (Statement st = other.createStatement()) {
                st.execute("SELECT 1"); // idle in transaction, xact_start 200 ms after the probe's now()
            }
            ProbeOutput out = new ActivityProbe().collect(context(probe));
            Double age = out.rows().get(0).getValues().get("oldest_xact_age_seconds");
            assertNotNull(age, "the other session's transaction is seen");
            assertTrue(age >= 0, "oldest_xact_age_seconds = " + age);
            Double idle = out.rows().get(0).getValues().get("oldest_idle_in_transaction_seconds");
            assertTrue(idle != null && idle >= 0, "oldest_idle_in_transaction_seconds = " + idle);
            probe.rollback();
            other.rollback();
        }
    }

    private static ProbeContext context(Connection c) throws SQLException {
        int version = c.getMetaData().getDatabaseMajorVersion() * 10000;
        Set<String> seen = new HashSet<>();
        return new ProbeContext() {
            @Override
            public String instanceId() {
                return "ages";
            }

            @Override
            public int serverVersionNum() {
                return version;
            }

            @Override
            public Connection connection() {
                return c;
            }

            @Override
            public ProbeLimits limits() {
                return ProbeLimits.defaults();
            }

            @Override
            public List<String> databases() {
                return List.of();
            }

            @Override
            public Connection connection(String database) {
                throw new UnsupportedOperationException(database);
            }

            @Override
            public Set<String> seenQueryIds() {
                return seen;
            }

            @Override
            public void warnOnce(String key, String message) {
                // not needed by this probe
            }
        };
    }
}
