package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.num;
import static dev.datainsight.collector.TestSupport.row;
import static dev.datainsight.collector.TestSupport.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.SnapshotRow;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Server identity on the health row, as the server itself reports it, oldest and newest version. */
class IdentityTest {
    @RegisterExtension
    static final PostgresExtension PG13 = new PostgresExtension(13);
    @RegisterExtension
    static final PostgresExtension PG18 = new PostgresExtension(18);

    static void check(EmbeddedPostgresServer pg) {
        String role = TestSupport.createRole(pg, "di_ident", true);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("id").url(pg.jdbcUrlNoUser("postgres")).user(role).password("secret").build())
                .build();
        Map<String, Object> d = TestSupport.query(pg, "postgres", "SELECT (SELECT system_identifier::text FROM pg_control_system()) AS sid,"
                + " pg_is_in_recovery() AS rec, (SELECT timeline_id FROM pg_control_checkpoint()) AS tl").get(0);
        long sid = Long.parseUnsignedLong((String) d.get("sid"));
        try (Collector c = new Collector(cfg, s -> { })) {
            SnapshotRow server = row(view(c.collectOnce("id"), MetricCatalog.COLLECTOR_VIEW), Map.of("probe", ""));
            assertNotNull(server.getValues().get("system_identifier_high"), () -> "identity read as pg_monitor: " + server);
            assertEquals((double) (sid >>> 32), server.getValues().get("system_identifier_high"));
            assertEquals((double) (sid & 0xFFFF_FFFFL), server.getValues().get("system_identifier_low"));
            assertEquals(sid, ((long) (double) server.getValues().get("system_identifier_high") << 32)
                    | (long) (double) server.getValues().get("system_identifier_low"));
            assertEquals(num(d.get("rec")), server.getValues().get("in_recovery"));
            assertEquals(0.0, server.getValues().get("in_recovery"));
            assertEquals(num(d.get("tl")), server.getValues().get("timeline_id"));
        }
    }

    @Test
    void identityOnTheHealthRow_pg13() {
        check(PG13.server());
    }

    @Test
    void identityOnTheHealthRow_pg18() {
        check(PG18.server());
    }
}
