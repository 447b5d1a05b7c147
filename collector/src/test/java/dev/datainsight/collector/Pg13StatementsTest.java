package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pg_stat_statements probe on a real PostgreSQL 13. */
class Pg13StatementsTest extends StatementsProbeBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(13);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
