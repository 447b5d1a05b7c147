package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.TestCertificates;
import dev.datainsight.model.Snapshot;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The collector connects with {@code sslmode=verify-full} and a CA file to a real PostgreSQL with
 * {@code ssl=on} whose certificate (signed for 127.0.0.1 by a CA made at test time with keytool)
 * the server presents; the server accepts TLS connections only ({@code hostssl}), so a
 * collection that succeeds went over TLS. A collector given another CA, or told not to use TLS,
 * is refused.
 */
class TlsVerifyFullTest {
    static Path dir;
    static TestCertificates certs;
    static Path otherCa;
    static EmbeddedPostgresServer pg;

    @BeforeAll
    static void startServer() throws Exception {
        dir = KafkaExtension.tmpBase().resolve("pg-tls-" + UUID.randomUUID());
        certs = TestCertificates.create(dir.resolve("certs"));
        otherCa = TestCertificates.unrelatedCa(dir.resolve("other-ca"));
        Path hba = dir.resolve("pg_hba.conf");
        Files.writeString(hba, "local all all trust\nhostssl all all 127.0.0.1/32 trust\n"
                + "hostnossl all all 127.0.0.1/32 reject\n");
        pg = EmbeddedPostgresServer.start(EmbeddedPostgresServer.defaultMajor(), dir, 0, Map.of(
                "ssl", "on",
                "ssl_cert_file", certs.serverCertPem().toString(),
                "ssl_key_file", certs.serverKeyPem().toString(),
                "hba_file", hba.toString()));
    }

    @AfterAll
    static void stopServer() {
        if (pg != null) {
            pg.close();
        }
    }

    private static FleetConfig fleet(String sslmode, Path rootCert) {
        String yaml = "defaults:\n  sslmode: " + sslmode + "\n"
                + (rootCert == null ? "" : "  sslrootcert: " + rootCert + "\n")
                + "instances:\n  - id: tls-pg\n    url: postgresql://postgres@127.0.0.1:" + pg.port() + "/postgres\n";
        return FleetConfig.parse(new StringReader(yaml), "fleet.yaml", Map.of(), dir);
    }

    private static InstanceStatus collect(FleetConfig cfg) {
        try (Collector c = new Collector(cfg, s -> { })) {
            List<Snapshot> out = c.collectOnce("tls-pg");
            assertNotNull(out);
            return c.status("tls-pg");
        }
    }

    @Test
    void verifyFull_withTheCaFile_collects() {
        InstanceStatus st = collect(fleet("verify-full", certs.caPem()));
        assertTrue(st.up(), "collected over TLS with the server's CA: " + st);
        assertTrue(st.serverVersionNum() >= 130000, st.toString());
    }

    @Test
    void verifyFull_withAnotherCa_isRefused() {
        InstanceStatus st = collect(fleet("verify-full", otherCa));
        assertFalse(st.up(), st.toString());
        assertTrue(String.valueOf(st.lastError()).toLowerCase(java.util.Locale.ROOT).contains("ssl")
                || String.valueOf(st.lastError()).contains("PKIX"), st.toString());
    }

    @Test
    void withoutTls_theServerRefuses() {
        InstanceStatus st = collect(fleet("disable", null));
        assertFalse(st.up(), st.toString());
        assertTrue(String.valueOf(st.lastError()).contains("no encryption")
                || String.valueOf(st.lastError()).contains("pg_hba.conf"), st.toString());
    }
}
