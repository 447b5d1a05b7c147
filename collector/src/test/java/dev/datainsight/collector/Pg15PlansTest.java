package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The plans probe on a real PostgreSQL 15: a status once, no plans. */
class Pg15PlansTest extends PlansBefore16Base {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(15);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
