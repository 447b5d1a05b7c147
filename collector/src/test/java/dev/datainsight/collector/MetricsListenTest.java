package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --metrics-listen} / {@code metrics_listen}: a bare port stays on loopback; mistakes name the key. */
class MetricsListenTest {

    @Test
    void barePortBindsLoopback_hostPortBindsThatHost() {
        InetSocketAddress a = CollectorHttpServer.listenAddress("9464");
        assertTrue(a.getAddress().isLoopbackAddress(), a.toString());
        assertEquals(9464, a.getPort());
        InetSocketAddress all = CollectorHttpServer.listenAddress("0.0.0.0:9464");
        assertTrue(all.getAddress().isAnyLocalAddress(), all.toString());
        InetSocketAddress v6 = CollectorHttpServer.listenAddress("[::1]:9470");
        assertTrue(v6.getAddress().isLoopbackAddress(), v6.toString());
        assertEquals(9470, v6.getPort());
    }

    @Test
    void badValuesAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CollectorHttpServer.listenAddress("metrics"))
                .getMessage().contains("not a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CollectorHttpServer.listenAddress(":9464"))
                .getMessage().contains("HOST:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CollectorHttpServer.listenAddress("70000"))
                .getMessage().contains("out of range"));
    }

    @Test
    void fleetFileKey_isOffByDefault_takesAPortOrHostPort_andReportsMistakesWithTheirLine() {
        String instances = """
                instances:
                  - {id: a, url: "jdbc:postgresql://h/db", user: u}
                """;
        assertNull(FleetConfigTest.parse(instances, Map.of()).metricsListen());
        assertEquals("9464", FleetConfigTest.parse("metrics_listen: 9464\n" + instances, Map.of()).metricsListen());
        assertEquals("0.0.0.0:9464",
                FleetConfigTest.parse("metrics_listen: \"0.0.0.0:9464\"\n" + instances, Map.of()).metricsListen());
        String m = assertThrows(ConfigException.class, () -> FleetConfig.parse(new StringReader("metrics_listen: nine\n" + instances),
                "fleet.yaml", Map.of(), null)).getMessage();
        assertTrue(m.contains("fleet.yaml:1:") && m.contains("metrics_listen") && m.contains("not a number"), m);
    }
}
