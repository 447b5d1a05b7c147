package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pg_stat_statements probe on a real PostgreSQL 18. */
class Pg18StatementsTest extends StatementsProbeBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(18);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }

    @org.junit.jupiter.api.Test
    void nestedStatements_arePublishedAsDetail_butCountedOnceInTheTotals() {
        nestedStatementsArePublishedAsDetail_butCountedOnceInTheTotals();
    }
}
