package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.DatabaseSizeProbe;
import dev.datainsight.collector.probe.Probe;
import dev.datainsight.collector.probe.ProbeGroup;
import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.collector.probe.Probes;
import dev.datainsight.collector.probe.SettingsProbe;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A few servers that hang (as under SIGSTOP: connections stay open, nothing comes back) do not
 * delay the rest of the fleet.
 */
class StallTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    /**
     * A TCP proxy to the real server that, once frozen, forwards nothing more on its open
     * connections and accepts new ones without ever answering.
     */
    static final class FreezingProxy implements AutoCloseable {
        final ServerSocket server;
        final int target;
        volatile boolean frozen;
        final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        FreezingProxy(int target) throws IOException {
            this.target = target;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "freezing-proxy-" + server.getLocalPort());
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    sockets.add(client);
                    if (frozen) {
                        continue;
                    }
                    Socket up = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(up);
                    pump(client.getInputStream(), up.getOutputStream());
                    pump(up.getInputStream(), client.getOutputStream());
                } catch (IOException e) {
                    // closed
                }
            }
        }

        void pump(InputStream in, OutputStream out) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        while (frozen) {
                            Thread.sleep(50);
                        }
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // connection gone
                }
            });
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            frozen = false;
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    static boolean isFastHealth(Snapshot s) {
        if (!s.getView().equals(MetricCatalog.COLLECTOR_VIEW)) {
            return false;
        }
        boolean activity = false;
        boolean up = false;
        for (SnapshotRow r : s.getRows()) {
            String p = r.getLabels().get("probe");
            if ("pg_stat_activity".equals(p)) {
                activity = true;
            }
            if ("".equals(p) && Double.valueOf(1.0).equals(r.getValues().get("up"))
                    && !Double.valueOf(1.0).equals(r.getValues().get("stale"))) {
                up = true;
            }
        }
        return activity && up;
    }

    @Test
    void fiveHungServersOfTwenty_theOtherFifteenKeepTheirInterval() throws Exception {
        String role = TestSupport.createRole(PG.server(), "di_stall", true);
        List<FreezingProxy> proxies = new ArrayList<>();
        Duration fast = Duration.ofSeconds(1);
        FleetConfig.Builder b = FleetConfig.builder()
                .statementTimeout(Duration.ofSeconds(2))
                .connectTimeout(Duration.ofSeconds(2))
                .sizesInterval(Duration.ofSeconds(2))
                .maxBackoff(Duration.ofSeconds(2))
                // fewer workers than 3 per hung server: a hung server that holds a worker for each
                // group starves the pool
                .workers(12)
                .limits(new ProbeLimits(1, 20, 20, 10, 20, 200, 100));
        for (int i = 0; i < 20; i++) {
            String url;
            if (i % 4 == 3) {
                FreezingProxy p = new FreezingProxy(PG.server().port());
                proxies.add(p);
                url = "jdbc:postgresql://127.0.0.1:" + p.port() + "/postgres";
            } else {
                url = PG.server().jdbcUrlNoUser("postgres");
            }
            b.instance(FleetConfig.Instance.builder((i % 4 == 3 ? "hung" : "ok") + i).url(url).user(role).password("secret")
                    .intervals(fast, Duration.ofSeconds(2)).build());
        }
        List<Probe> probes = new ArrayList<>();
        for (Probe p : Probes.all()) {
            if (p.group() == ProbeGroup.FAST || p instanceof SettingsProbe || p instanceof DatabaseSizeProbe) {
                probes.add(p);
            }
        }
        Map<String, ConcurrentLinkedQueue<Long>> fastAt = new ConcurrentHashMap<>();
        Map<String, ConcurrentLinkedQueue<Snapshot>> health = new ConcurrentHashMap<>();
        try (Collector c = new Collector(b.build(), s -> {
            if (isFastHealth(s)) {
                fastAt.computeIfAbsent(s.getInstance(), k -> new ConcurrentLinkedQueue<>()).add(System.nanoTime());
            }
            if (s.getView().equals(MetricCatalog.COLLECTOR_VIEW)) {
                health.computeIfAbsent(s.getInstance(), k -> new ConcurrentLinkedQueue<>()).add(s);
            }
        }, probes)) {
            c.start();
            ResilienceTest.await("all twenty up", Duration.ofSeconds(60), () -> fastAt.size() == 20);
            proxies.forEach(p -> p.frozen = true);
            TestSupport.sleep(5_000);
            long from = System.nanoTime();
            health.values().forEach(ConcurrentLinkedQueue::clear);
            TestSupport.sleep(12_000);
            long to = System.nanoTime();
            // Per healthy server, over the 12 s window: the mean interval between its fast cycles
            // and the longest gap (a stall shows as a gap, even if queued runs then catch up).
            Map<String, String> measured = new TreeMap<>();
            boolean ok = true;
            for (int i = 0; i < 20; i++) {
                if (i % 4 == 3) {
                    continue;
                }
                List<Long> at = fastAt.get("ok" + i).stream().filter(t -> t >= from && t <= to).sorted().toList();
                double mean = at.size() < 2 ? Double.POSITIVE_INFINITY : (at.get(at.size() - 1) - at.get(0)) / 1e6 / (at.size() - 1);
                double maxGap = 0;
                for (int k = 1; k < at.size(); k++) {
                    maxGap = Math.max(maxGap, (at.get(k) - at.get(k - 1)) / 1e6);
                }
                measured.put("ok" + i, String.format(java.util.Locale.ROOT, "n=%d mean=%.0f maxGap=%.0f", at.size(), mean, maxGap));
                // 12 s at 1 s: at least 11 cycles (a stall at the window's edge hides from the mean)
                ok &= at.size() >= 11 && mean <= fast.toMillis() * 1.1 && mean >= fast.toMillis() * 0.9 && maxGap < fast.toMillis() * 1.5;
            }
            System.out.println("StallTest healthy servers, fast cycles in 12 s: " + measured);
            assertTrue(ok, "healthy servers keep their 1 s interval within 10% (and no gap of 1.5 intervals): " + measured);
            for (int i = 3; i < 20; i += 4) {
                ConcurrentLinkedQueue<Snapshot> h = health.get("hung" + i);
                assertTrue(h != null && !h.isEmpty(), "a hung server still reports (stale or up=0): hung" + i);
                assertTrue(h.stream().noneMatch(StallTest::isFastHealth), "hung" + i + " never looks healthy");
            }
        } finally {
            for (FreezingProxy p : proxies) {
                p.close();
            }
        }
    }

    @Test
    void hungSlowRun_doesNotDelayTheFastGroup_andIsReportedStale() {
        String role = TestSupport.createRole(PG.server(), "di_stale", true);
        Probe sleeper = SafetyTest.sqlProbe("t_sleep", "SELECT pg_catalog.pg_sleep(2.5)", null);
        List<Probe> probes = new ArrayList<>();
        for (Probe p : Probes.all()) {
            if (p.group() == ProbeGroup.FAST) {
                probes.add(p);
            }
        }
        probes.add(sleeper);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("one").url(PG.server().jdbcUrlNoUser("postgres")).user(role)
                        .password("secret").intervals(Duration.ofMillis(500), Duration.ofMillis(500)).build())
                .statementTimeout(Duration.ofSeconds(10))
                .build();
        ConcurrentLinkedQueue<Long> fastAt = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Snapshot> stale = new ConcurrentLinkedQueue<>();
        try (Collector c = new Collector(cfg, s -> {
            if (isFastHealth(s)) {
                fastAt.add(System.nanoTime());
            }
            if (s.getView().equals(MetricCatalog.COLLECTOR_VIEW) && s.getRows().stream().anyMatch(
                    r -> "slow".equals(r.getLabels().get("probe")) && Double.valueOf(1.0).equals(r.getValues().get("stale")))) {
                stale.add(s);
            }
        }, probes)) {
            c.start();
            ResilienceTest.await("first fast cycle", Duration.ofSeconds(30), () -> !fastAt.isEmpty());
            long from = System.nanoTime();
            TestSupport.sleep(6_000);
            long to = System.nanoTime();
            long n = fastAt.stream().filter(t -> t >= from && t <= to).count();
            assertTrue(n >= 11, "fast cycles in 6 s at 500 ms while every slow run sleeps 2.5 s: " + n);
            assertTrue(stale.size() >= 3, "slow ticks during a running slow run are reported stale: " + stale.size());
            assertTrue(c.skippedRuns() >= 3);
        }
    }
}
