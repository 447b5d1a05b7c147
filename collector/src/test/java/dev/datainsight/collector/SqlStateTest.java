package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.row;
import static dev.datainsight.collector.TestSupport.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Why a server is down: the SQLSTATE of the failure on the health rows and in the status. */
class SqlStateTest {
    /** Passwords are checked (the default embedded server trusts every local connection). */
    static final java.nio.file.Path HBA = hba();

    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17, Map.of("hba_file", HBA.toString()));

    static java.nio.file.Path hba() {
        try {
            // under target/ (the module's build directory), never /tmp
            java.nio.file.Path dir = java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "sqlstate-test"));
            java.nio.file.Path f = java.nio.file.Files.createTempFile(dir.toAbsolutePath(), "di-sqlstate-hba", ".conf");
            java.nio.file.Files.writeString(f, String.join("\n",
                    "local all all trust",
                    "host all postgres 127.0.0.1/32 trust",
                    "host all postgres ::1/128 trust",
                    "host all all 127.0.0.1/32 scram-sha-256",
                    "host all all ::1/128 scram-sha-256", ""));
            f.toFile().deleteOnExit();
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String down(String url, String user, String password, String expectedState) {
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("why").url(url).user(user).password(password).build())
                .build();
        try (Collector c = new Collector(cfg, s -> { })) {
            List<Snapshot> s = c.collectOnce("why");
            Snapshot h = view(s, MetricCatalog.COLLECTOR_VIEW);
            SnapshotRow server = row(h, Map.of("probe", ""));
            SnapshotRow connect = row(h, Map.of("probe", "connect"));
            assertEquals(0.0, server.getValues().get("up"));
            String got = MetricCatalog.sqlStateText(server.getValues().get("sqlstate"));
            assertEquals(expectedState, expectedState.length() == 2 && got != null ? got.substring(0, 2) : got,
                    () -> "server row sqlstate for " + c.status("why").lastError());
            assertEquals(server.getValues().get("sqlstate"), connect.getValues().get("sqlstate"));
            WireCodec codec = new WireCodec();
            assertTrue(codec.decodeSnapshot(codec.encode(h)).isOk());
            String st = c.status("why").lastSqlState();
            assertEquals(got, st);
            return st;
        }
    }

    @Test
    void authenticationFailure_28P01() {
        String role = TestSupport.createRole(PG.server(), "di_auth", true);
        down(PG.server().jdbcUrlNoUser("postgres"), role, "wrong", "28P01");
    }

    @Test
    void noSuchDatabase_3D000() {
        String role = TestSupport.createRole(PG.server(), "di_nodb", true);
        down(PG.server().jdbcUrlNoUser("no_such_db_here"), role, "secret", "3D000");
    }

    @Test
    void tooManyConnections_53300() {
        String role = TestSupport.createRole(PG.server(), "di_full", true);
        TestSupport.exec(PG.server(), "postgres", "ALTER ROLE " + role + " CONNECTION LIMIT 0");
        down(PG.server().jdbcUrlNoUser("postgres"), role, "secret", "53300");
    }

    @Test
    void networkFailure_class08() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        down("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "nobody", "x", "08");
    }

    @Test
    void upServer_hasNoSqlState() {
        String role = TestSupport.createRole(PG.server(), "di_fine", true);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("fine").url(PG.server().jdbcUrlNoUser("postgres")).user(role)
                        .password("secret").build())
                .build();
        try (Collector c = new Collector(cfg, s -> { })) {
            SnapshotRow server = row(view(c.collectOnce("fine"), MetricCatalog.COLLECTOR_VIEW), Map.of("probe", ""));
            assertEquals(1.0, server.getValues().get("up"));
            assertNull(server.getValues().get("sqlstate"));
            assertNull(c.status("fine").lastSqlState());
        }
    }

    @Test
    void sqlStateCodes_roundTrip() {
        for (String s : List.of("00000", "53300", "57P03", "28P01", "3D000", "08006", "ZZZZZ")) {
            assertEquals(s, MetricCatalog.sqlStateText(MetricCatalog.sqlStateCode(s)));
        }
        assertEquals(8_541_936.0, MetricCatalog.sqlStateCode("53300"));
        assertNull(MetricCatalog.sqlStateCode("5330"));
        assertNull(MetricCatalog.sqlStateCode(null));
        assertNull(MetricCatalog.sqlStateText(-1.0));
    }
}
