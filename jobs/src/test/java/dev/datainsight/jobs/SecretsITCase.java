package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.Migrations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamingJobGraphGenerator;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The store password never travels in the job: the JobGraph (with every vertex's user
 * configuration: the serialized sinks and their writer factories) holds where to find it
 * ({@code store.password_file}) but not the password, and the job still writes as a login that the
 * server checks with scram-sha-256, the password being read from the file when the sink opens on
 * the task manager (the file is written only after the graph is built).
 */
class SecretsITCase extends JobTestSupport {

    @Test
    void thePasswordIsNotInTheJobGraph_andIsReadWhenTheSinkOpens() throws Exception {
        String db = PG.freshDatabase("secrets");
        String superUrl = PG.server().jdbcUrl(db);
        Migrations.migrate(superUrl, null, null);
        String role = "secret_writer_" + UUID.randomUUID().toString().substring(0, 8);
        String password = "pw-" + UUID.randomUUID();
        requirePassword(superUrl, role, password);
        String url = PG.server().jdbcUrlNoUser(db);
        assertThrows(SQLException.class, () -> login(url, role, "wrong"), "the server checks the password");
        login(url, role, password).close();

        Path secretFile = Path.of(System.getProperty("java.io.tmpdir"), "secrets-" + UUID.randomUUID(), "store-password");
        Topics topics = newTopics(1, 1);
        JobConfig c = valid(config(topics, url).store(s -> s.user(role).passwordFile(secretFile.toString()))
                .time(t -> t.idleness(Duration.ofSeconds(5))));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                DataInsightJob.flinkConfiguration(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        StreamGraph streamGraph = env.getStreamGraph(false);
        JobGraph jobGraph = StreamingJobGraphGenerator.createJobGraph(streamGraph);
        byte[] graph = InstantiationUtil.serializeObject(jobGraph);
        String bytes = new String(graph, StandardCharsets.ISO_8859_1);
        int userConfigBytes = 0;
        for (JobVertex v : jobGraph.getVertices()) {
            byte[] conf = InstantiationUtil.serializeObject(v.getConfiguration());
            userConfigBytes += conf.length;
            assertFalse(new String(conf, StandardCharsets.ISO_8859_1).contains(password), "password in vertex " + v.getName());
        }
        System.out.printf("secrets: job graph %d bytes, vertex configurations %d bytes: password absent,"
                + " role name present: %s%n", graph.length, userConfigBytes, bytes.contains(role));
        assertTrue(bytes.contains(role), "the search sees the sinks' settings (the role name is there)");
        assertTrue(bytes.contains(secretFile.toString()), "where the password is, is there");
        assertFalse(bytes.contains(password), "the password is not in the job graph");

        // Only now does the password exist where the task managers will read it.
        Files.createDirectories(secretFile.getParent());
        Files.writeString(secretFile, password + "\n");
        JobClient job = env.executeAsync(streamGraph);
        try (KafkaProducer<byte[], byte[]> p = producer(KAFKA.bootstrapServers())) {
            long now = System.currentTimeMillis();
            long start = now - 3_600_000L - Math.floorMod(now, 60_000L);
            SyntheticFleet fleet = new SyntheticFleet(2, 1, 2, 2, start, 10_000, 3);
            List<Snapshot> snaps = new ArrayList<>();
            for (int cycle = 0; cycle < 30; cycle++) {
                snaps.addAll(fleet.nextCycle());
            }
            produce(p, c, snaps);
            awaitMinuteStored(superUrl, start + 2 * 60_000L, "minute 2", Duration.ofSeconds(90));
            assertTrue(count(superUrl, "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = '" + role
                    + "' AND application_name = 'datainsight-store-writer'") >= 3, "the sinks are logged in as " + role);
        } finally {
            job.cancel().get();
        }
    }

    /** Creates a writer login whose password the server checks (scram-sha-256 for this role only). */
    static void requirePassword(String superUrl, String role, String password) throws Exception {
        try (Connection c = connect(superUrl); Statement st = c.createStatement()) {
            st.execute("SET password_encryption = 'scram-sha-256'");
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "' IN ROLE datainsight_writer");
            String hba;
            try (ResultSet rs = st.executeQuery("SHOW hba_file")) {
                rs.next();
                hba = rs.getString(1);
            }
            Path file = Path.of(hba);
            String rules = Files.readString(file);
            Files.writeString(file, "host all " + role + " 127.0.0.1/32 scram-sha-256\n" + rules);
            try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_reload_conf()")) {
                rs.next();
            }
        }
        Thread.sleep(500); // the postmaster rereads pg_hba.conf on SIGHUP
    }

    static Connection login(String url, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return DriverManager.getConnection(url, p);
    }
}
