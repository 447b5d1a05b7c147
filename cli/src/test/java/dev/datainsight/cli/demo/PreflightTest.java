package dev.datainsight.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.rules.defs.IdleInTransactionRule;
import dev.datainsight.rules.defs.SlowQueryRule;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.rules.RulesConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The demo's start-up checks against a real PostgreSQL and real sockets, and its rules file. */
class PreflightTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension();

    @Test
    void targetWithoutPgMonitor_isRefusedWithTheGrantToRun_andAcceptedOnceGranted() throws Exception {
        try (Connection c = PG.server().connect("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP ROLE IF EXISTS demo_nomon");
            st.execute("CREATE ROLE demo_nomon LOGIN");
        }
        String url = "postgresql://demo_nomon:secret@127.0.0.1:" + PG.server().port() + "/postgres";
        DemoException e = assertThrows(DemoException.class, () -> Preflight.target(url, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("role demo_nomon lacks pg_monitor"), e.getMessage());
        assertTrue(e.getMessage().contains("GRANT pg_monitor TO demo_nomon;"), e.getMessage());

        try (Connection c = PG.server().connect("postgres"); Statement st = c.createStatement()) {
            st.execute("GRANT pg_monitor TO demo_nomon");
        }
        FleetConfig.Instance ok = Preflight.target(url, Duration.ofSeconds(5));
        assertEquals("demo_nomon", ok.user());
        assertEquals(Duration.ofSeconds(10), ok.intervals().slow());
    }

    @Test
    void unreachableTarget_saysSo_withoutThePassword() {
        int port = FreePorts.next();
        DemoException e = assertThrows(DemoException.class,
                () -> Preflight.target("postgresql://app:hunter2@127.0.0.1:" + port + "/app", Duration.ofSeconds(5)));
        assertTrue(e.getMessage().startsWith("--target postgresql://app:***@127.0.0.1:" + port + "/app is unreachable"), e.getMessage());
        assertTrue(!e.getMessage().contains("hunter2"));
    }

    @Test
    void takenPort_namesThePortAndTheOption() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            DemoException e = assertThrows(DemoException.class, () -> Preflight.portFree("Kafka", s.getLocalPort(), "--kafka-port"));
            assertEquals("Kafka port " + s.getLocalPort() + " on 127.0.0.1 is already in use: stop what uses it or choose another"
                    + " with --kafka-port (0 = any free port)", e.getMessage());
        }
        Preflight.portFree("Kafka", 0, "--kafka-port");
    }

    @Test
    void tooLittleDiskSpace_isReportedInMegabytes() {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        DemoException e = assertThrows(DemoException.class, () -> Preflight.diskSpace(tmp, Long.MAX_VALUE));
        assertTrue(e.getMessage().startsWith("not enough disk space in " + tmp + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("MB free"), e.getMessage());
    }

    @Test
    void demoRulesFile_isValid_andShortensTheForWindows() {
        RulesConfig rules = RulesConfig.parse(Demo.demoRulesText(), "demo-rules.yaml");
        for (String rule : new String[] {"lock_contention", "checkpoint_spike", "connection_saturation"}) {
            assertEquals(5_000L, rules.base(rule).millis(RuleDefinition.FOR), rule);
        }
        assertEquals(0L, rules.base("autovacuum_lag").millis(RuleDefinition.FOR));
        assertEquals(20_000L, rules.base("slow_query").millis(SlowQueryRule.WINDOW));
        assertTrue(!rules.mayRun("instance_silent"), "silence is not part of the demo");
        assertEquals(5.0, rules.base("idle_in_transaction").number(IdleInTransactionRule.WARNING));
        assertEquals(1000.0, rules.base("slow_query").number(SlowQueryRule.WARNING));
    }
}
