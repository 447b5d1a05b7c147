package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.logs.InstanceLogs;
import dev.datainsight.collector.logs.LogSettings;
import dev.datainsight.collector.logs.LogSink;
import dev.datainsight.collector.logs.LogsProbe;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.logs.LogEntry;
import dev.datainsight.logs.LogFormat;
import dev.datainsight.logs.LogOptions;
import dev.datainsight.logs.LogReader;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.LogBatch;
import dev.datainsight.model.LogBatchCodec;
import dev.datainsight.model.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Log collection on a real PostgreSQL 17 with the logging collector on: agentless reading through
 * the collector's connection across rotations and a collector restart (every entry exactly once,
 * checked against the files), a truncated file and a partial line (co-located), the missing
 * GRANT, password masking and statement text off, and the server time of a 1 MB cycle.
 */
class LogCollectionTest {
    static final Path LOG_DIR = KafkaExtension.tmpBase().resolve("collector-logs-" + ProcessHandle.current().pid()
            + "-" + UUID.randomUUID().toString().substring(0, 8));
    static final String PREFIX = "%m [%p] %q%u@%d/%a ";

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17, settings());

    private static Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("logging_collector", "on");
        s.put("log_directory", LOG_DIR.toAbsolutePath().toString());
        s.put("log_filename", "postgresql-%Y%m%d_%H%M%S.log");
        s.put("log_rotation_age", "0");
        s.put("log_rotation_size", "0");
        s.put("lc_messages", "C"); // log_destination stays the default (stderr): on the command line ALTER SYSTEM could not change it
        s.put("log_statement", "ddl");
        return s;
    }

    @org.junit.jupiter.api.BeforeAll
    static void prefix() throws InterruptedException {
        // a prefix with spaces cannot travel on the server's command line
        TestSupport.exec(PG.server(), "postgres", "ALTER SYSTEM SET log_line_prefix = '" + PREFIX + "'",
                "SELECT pg_catalog.pg_reload_conf()");
        Thread.sleep(300);
        rotate(); // the files from here on have the prefix throughout
    }

    /** A sink that encodes and decodes every batch (the real wire format) and acknowledges it at once. */
    static final class Captured implements SnapshotSink, LogSink {
        final List<LogBatch> batches = Collections.synchronizedList(new ArrayList<>());
        final List<String> json = Collections.synchronizedList(new ArrayList<>());
        final LogBatchCodec codec = new LogBatchCodec();

        @Override
        public void publish(Snapshot snapshot) {}

        @Override
        public void publish(LogBatch b, Runnable onDelivered, Runnable onLost) {
            byte[] bytes = codec.encode(b);
            json.add(new String(bytes, StandardCharsets.UTF_8));
            DecodeResult<LogBatch> d = codec.decode(bytes);
            assertTrue(d.isOk(), () -> "undecodable: " + d);
            batches.add(d.value());
            onDelivered.run();
        }

        List<LogBatch.Entry> entries() {
            List<LogBatch.Entry> l = new ArrayList<>();
            synchronized (batches) {
                batches.forEach(b -> l.addAll(b.entries()));
            }
            return l;
        }
    }

    private static String role(boolean grant) {
        String r = TestSupport.createRole(PG.server(), "di_logs", true);
        if (grant) {
            TestSupport.exec(PG.server(), "postgres",
                    "GRANT EXECUTE ON FUNCTION " + LogsProbe.READ_FUNCTION + " TO " + r);
        }
        return r;
    }

    private static FleetConfig config(String id, String role, InstanceLogs logs, LogSettings settings) {
        return FleetConfig.builder()
                .instance(FleetConfig.Instance.builder(id).url(PG.server().jdbcUrlNoUser("postgres")).user(role)
                        .password("secret").intervals(Duration.ofHours(1), Duration.ofHours(1)).logs(logs).build())
                .logs(settings).build();
    }

    private static Path stateFile() throws IOException {
        Path d = KafkaExtension.tmpBase().resolve("collector-logs-state");
        Files.createDirectories(d);
        return d.resolve("offsets-" + UUID.randomUUID() + ".json");
    }

    /** {@code n} LOG entries {@code <tag> <i>}, every third one a two-line message, each with its CONTEXT line. */
    private static void emit(String tag, int n) {
        TestSupport.exec(PG.server(), "postgres", "DO $$ BEGIN FOR i IN 1.." + n + " LOOP "
                + "IF i % 3 = 0 THEN RAISE LOG E'" + tag + " % first line\\nsecond line of %', i, i; "
                + "ELSE RAISE LOG '" + tag + " %', i; END IF; END LOOP; END $$");
    }

    private static void rotate() throws InterruptedException {
        Thread.sleep(1_100); // log_filename has seconds: the next file gets a new name
        TestSupport.exec(PG.server(), "postgres", "SELECT pg_catalog.pg_rotate_logfile()");
        Thread.sleep(300);
    }

    private static int markerNumber(String message, String tag) {
        if (message == null || !message.startsWith(tag + " ")) {
            return -1;
        }
        String rest = message.substring(tag.length() + 1);
        int sp = rest.indexOf(' ');
        return Integer.parseInt(sp < 0 ? rest : rest.substring(0, sp));
    }

    /** Every entry of every file, parsed whole from the files themselves. */
    private static Map<String, List<LogEntry>> fileContents() throws IOException {
        Map<String, List<LogEntry>> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(LOG_DIR)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (LogFormat.ofFileName(p.getFileName().toString()) != LogFormat.STDERR) {
                    continue;
                }
                LogReader r = LogReader.create(LogFormat.STDERR, PREFIX, 17, LogOptions.defaults());
                List<LogEntry> l = new ArrayList<>(r.feed(Files.readAllBytes(p), 0).entries());
                l.addAll(r.finish().entries());
                out.put(p.getFileName().toString(), l);
            }
        }
        return out;
    }

    @Test
    void rotationsAndARestart_publishEveryEntryOfTheFilesExactlyOnce_toKafka() throws Exception {
        String topic = KAFKA.newTopic("logs", 1);
        Path state = stateFile();
        String role = role(true);
        FleetConfig.Kafka k = new FleetConfig.Kafka(KAFKA.bootstrapServers(), "m", "s", 10_000, "p", topic);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("rot").url(PG.server().jdbcUrlNoUser("postgres")).user(role)
                        .password("secret").intervals(Duration.ofHours(1), Duration.ofHours(1))
                        .logs(InstanceLogs.agentless()).build())
                .logs(LogSettings.defaults().withStateFile(state).withMaxBytesPerCycle(64 * 1024)).kafka(k).build();
        long batches = 0;
        String first;
        rotate(); // other tests may have filled the current file
        emit("rot-a", 300);
        try (KafkaSnapshotSink sink = KafkaSnapshotSink.from(k)) {
            List<dev.datainsight.collector.probe.Probe> probes = Collector.withLogs(List.of(), cfg, sink);
            LogsProbe lp = (LogsProbe) probes.get(0);
            try (Collector c = new Collector(cfg, sink, probes)) {
                for (int i = 0; i < 3; i++) {
                    c.collectOnce("rot");
                    assertTrue(sink.flush(Duration.ofSeconds(10)));
                }
                first = lp.status("rot").file();
                rotate();
                emit("rot-b", 300);
                for (int i = 0; i < 4; i++) {
                    c.collectOnce("rot");
                    assertTrue(sink.flush(Duration.ofSeconds(10)));
                }
                assertNull(lp.status("rot").problem());
                emit("rot-c", 50); // read in part before the restart, the rest after
                c.collectOnce("rot");
            }
            batches += lp.status("rot").batches();
        }
        // collector down: the server goes on writing and rotating
        emit("rot-d", 300);
        rotate();
        emit("rot-e", 300);
        rotate();
        emit("rot-f", 300);
        try (KafkaSnapshotSink sink = KafkaSnapshotSink.from(k)) {
            List<dev.datainsight.collector.probe.Probe> probes = Collector.withLogs(List.of(), cfg, sink);
            LogsProbe lp = (LogsProbe) probes.get(0);
            try (Collector c = new Collector(cfg, sink, probes)) {
                int idle = 0;
                for (int i = 0; i < 80 && idle < 3; i++) {
                    long before = lp.status("rot") == null ? 0 : lp.status("rot").entries();
                    c.collectOnce("rot");
                    assertTrue(sink.flush(Duration.ofSeconds(10)));
                    idle = lp.status("rot").entries() == before ? idle + 1 : 0;
                }
            }
            batches += lp.status("rot").batches();
        }
        List<LogBatch> got = consume(topic, batches);
        Map<String, List<LogBatch.Entry>> byFile = new TreeMap<>();
        Set<String> keys = new HashSet<>();
        for (LogBatch b : got) {
            assertEquals("rot", b.instance());
            assertEquals(LogBatch.SOURCE_AGENTLESS, b.source());
            assertEquals("stderr", b.format());
            for (LogBatch.Entry e : b.entries()) {
                assertTrue(keys.add(b.file() + "@" + e.offset()), "published twice: " + b.file() + " at " + e.offset());
                byFile.computeIfAbsent(b.file(), f -> new ArrayList<>()).add(e);
            }
        }
        Map<String, List<LogEntry>> files = fileContents();
        files.keySet().removeIf(n -> n.compareTo(first) < 0); // written before this test
        assertTrue(files.size() >= 4, "three rotations: " + files.keySet());
        assertEquals(files.keySet(), byFile.keySet(), "every file was read");
        String last = ((TreeMap<String, List<LogEntry>>) files).lastKey();
        int total = 0;
        for (Map.Entry<String, List<LogEntry>> f : files.entrySet()) {
            List<LogBatch.Entry> pub = byFile.get(f.getKey());
            pub.sort(java.util.Comparator.comparingLong(LogBatch.Entry::offset));
            List<LogEntry> want = f.getValue();
            if (f.getKey().equals(last)) {
                // the server may have written after the last cycle: the published part is a prefix
                want = want.subList(0, Math.min(want.size(), pub.size()));
            }
            assertEquals(want.size(), pub.size(), "entries of " + f.getKey());
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).offset(), pub.get(i).offset(), f.getKey() + " entry " + i);
                assertEquals(want.get(i).endOffset(), pub.get(i).endOffset(), f.getKey() + " entry " + i);
                assertEquals(want.get(i).message(), pub.get(i).message(), f.getKey() + " entry " + i);
                assertEquals(want.get(i).context(), pub.get(i).context(), f.getKey() + " entry " + i);
                assertFalse(pub.get(i).unparsed(), () -> "unparsed: " + f.getKey());
            }
            total += pub.size();
        }
        // and each marker of each burst exactly once, multi-line messages in one piece
        for (String tag : List.of("rot-a", "rot-b", "rot-c", "rot-d", "rot-e", "rot-f")) {
            int n = tag.equals("rot-c") ? 50 : 300;
            Map<Integer, Integer> seen = new HashMap<>();
            for (List<LogBatch.Entry> l : byFile.values()) {
                for (LogBatch.Entry e : l) {
                    int m = markerNumber(e.message(), tag);
                    if (m > 0) {
                        seen.merge(m, 1, Integer::sum);
                        if (m % 3 == 0) {
                            assertEquals(tag + " " + m + " first line\nsecond line of " + m, e.message());
                        }
                        assertEquals("PL/pgSQL function inline_code_block line 1 at RAISE", e.context());
                        assertEquals("LOG", e.severity());
                    }
                }
            }
            assertEquals(n, seen.size(), tag + ": every entry");
            assertTrue(seen.values().stream().allMatch(v -> v == 1), tag + ": each once");
        }
        System.out.printf("log collection: %d entries in %d files, %d Kafka records, each entry once%n", total,
                files.size(), got.size());
        String st = Files.readString(state);
        assertTrue(st.contains("\"rot\"") && st.contains(last), st);
    }

    private static List<String> listing() {
        try (Stream<Path> s = Files.list(LOG_DIR)) {
            return s.map(p -> p.getFileName() + ":" + p.toFile().length()).sorted().toList();
        } catch (IOException e) {
            return List.of(e.toString());
        }
    }

    static List<LogBatch> consume(String topic, long expected) {
        List<LogBatch> out = new ArrayList<>();
        LogBatchCodec codec = new LogBatchCodec();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    DecodeResult<LogBatch> d = codec.decode(r.value());
                    assertTrue(d.isOk(), () -> "undecodable record: " + d);
                    assertEquals(d.value().instance(), new String(r.key(), StandardCharsets.UTF_8), "key = instance id");
                    out.add(d.value());
                }
            }
            // nothing beyond what the collector published
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                out.add(codec.decode(r.value()).value());
            }
        }
        assertEquals(expected, out.size(), "records on the topic");
        return out;
    }

    @Test
    void aTruncatedFile_restartsAtZero_andAPartialLineWaitsForItsNewline_coLocated() throws Exception {
        Path dir = KafkaExtension.tmpBase().resolve("collector-logs-local-" + UUID.randomUUID());
        Files.createDirectories(dir);
        Path f = dir.resolve("postgresql.log");
        String l1 = "2026-12-04 01:00:00.001 UTC [101] u@db/app LOG:  first one\n";
        String l2 = "2026-12-04 01:00:00.002 UTC [101] u@db/app ERROR:  second one\n"
                + "2026-12-04 01:00:00.002 UTC [101] u@db/app STATEMENT:  SELECT 2\n";
        Files.writeString(f, l1 + l2);
        Captured sink = new Captured();
        FleetConfig cfg = config("loc", role(false), InstanceLogs.local(dir),
                LogSettings.defaults().withStateFile(stateFile()).withMaxEntryChars(1000));
        try (Collector c = new Collector(cfg, sink, Collector.withLogs(List.of(), cfg, sink))) {
            c.collectOnce("loc");
            c.collectOnce("loc"); // idle: the entry held back goes out
            assertEquals(List.of("first one", "second one"), sink.entries().stream().map(LogBatch.Entry::message).toList());
            assertEquals("SELECT 2", sink.entries().get(1).statement());
            assertEquals(LogBatch.SOURCE_LOCAL, sink.batches.get(0).source());
            // copytruncate-style rotation: the file starts again, shorter
            String l3 = "2026-12-04 02:00:00.003 UTC [102] u@db/app LOG:  third\n";
            Files.writeString(f, l3, StandardOpenOption.TRUNCATE_EXISTING);
            c.collectOnce("loc");
            c.collectOnce("loc");
            List<LogBatch.Entry> all = sink.entries();
            assertEquals(List.of("first one", "second one", "third"), all.stream().map(LogBatch.Entry::message).toList());
            assertEquals(0, all.get(2).offset(), "the truncated file is read from 0");
            // a partial line is held back until its newline arrives, then comes out in one piece
            Files.writeString(f, "2026-12-04 02:00:01.004 UTC [102] u@db/app LOG:  fou", StandardOpenOption.APPEND);
            c.collectOnce("loc");
            c.collectOnce("loc");
            assertEquals(3, sink.entries().size(), "partial line held back");
            Files.writeString(f, "rth in two writes\nnot a log line at all\n", StandardOpenOption.APPEND);
            c.collectOnce("loc");
            c.collectOnce("loc");
            all = sink.entries();
            assertEquals(5, all.size(), all.toString());
            assertEquals("fourth in two writes", all.get(3).message());
            // an unparseable line goes through with its raw text
            assertTrue(all.get(4).unparsed());
            assertEquals("not a log line at all", all.get(4).raw());
            assertNull(all.get(4).message());
            // an oversized entry is cut at max_entry_chars with the marker, and the next one is whole
            Files.writeString(f, "2026-12-04 02:00:02.005 UTC [102] u@db/app LOG:  big " + "y".repeat(5000) + "\n"
                    + "2026-12-04 02:00:02.006 UTC [102] u@db/app LOG:  after\n", StandardOpenOption.APPEND);
            c.collectOnce("loc");
            c.collectOnce("loc");
            all = sink.entries();
            assertEquals(7, all.size(), all.toString());
            assertTrue(all.get(5).truncated());
            assertTrue(all.get(5).message().startsWith("big yyy") && all.get(5).message().endsWith(LogOptions.TRUNCATION_MARKER),
                    all.get(5).message());
            assertTrue(all.get(5).message().length() < 1000);
            assertEquals("after", all.get(6).message());
            assertFalse(all.get(6).truncated());
        }
    }

    @Test
    void aMissingGrant_isReportedWithTheStatement_andTheGrantStartsCollection() throws Exception {
        String role = role(false);
        rotate();
        Captured sink = new Captured();
        FleetConfig cfg = config("nogrant", role, InstanceLogs.agentless(), LogSettings.defaults().withStateFile(stateFile()));
        List<dev.datainsight.collector.probe.Probe> probes = Collector.withLogs(List.of(), cfg, sink);
        LogsProbe lp = (LogsProbe) probes.get(0);
        try (Collector c = new Collector(cfg, sink, probes)) {
            c.collectOnce("nogrant");
            String problem = lp.status("nogrant").problem();
            assertNotNull(problem);
            assertTrue(problem.contains("GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)"),
                    problem);
            c.collectOnce("nogrant");
            assertEquals(problem, lp.status("nogrant").problem());
            assertTrue(sink.batches.isEmpty());
            assertTrue(c.status("nogrant").up(), "the rest of the collection goes on");
            TestSupport.exec(PG.server(), "postgres", "GRANT EXECUTE ON FUNCTION " + LogsProbe.READ_FUNCTION + " TO " + role);
            c.collectOnce("nogrant");
            assertNull(lp.status("nogrant").problem());
            // Entries of its own after the grant: a fresh file may hold a single entry, and the last
            // entry of a file is held back for a cycle (it may still be growing).
            emit("granted", 3);
            c.collectOnce("nogrant");
            assertFalse(sink.batches.isEmpty(), "reading starts once granted");
        }
    }

    @Test
    void passwordsAreMasked_andStatementTextCanBeTurnedOff() throws Exception {
        String secret = "Sekr1t-" + UUID.randomUUID().toString().substring(0, 6);
        String target = TestSupport.createRole(PG.server(), "di_pw", false);
        String role = role(true);
        Captured on = new Captured();
        Captured off = new Captured();
        FleetConfig cOn = config("pw-on", role, InstanceLogs.agentless(), LogSettings.defaults().withStateFile(stateFile()));
        FleetConfig cOff = config("pw-off", role, InstanceLogs.agentless(),
                LogSettings.defaults().withStateFile(stateFile()).withStatementText(false));
        rotate();
        try (Collector a = new Collector(cOn, on, Collector.withLogs(List.of(), cOn, on));
                Collector b = new Collector(cOff, off, Collector.withLogs(List.of(), cOff, off))) {
            // both start at the current file's beginning; read up to the present first
            for (int i = 0; i < 20; i++) {
                a.collectOnce("pw-on");
                b.collectOnce("pw-off");
            }
            TestSupport.exec(PG.server(), "postgres", "ALTER ROLE " + target + " PASSWORD '" + secret + "'");
            try {
                TestSupport.exec(PG.server(), "postgres",
                        "ALTER ROLE " + target + " PASSWORD '" + secret + "-2' VALID UNTIL 'not a date'");
            } catch (IllegalStateException expected) {
                // invalid input syntax: logged as an ERROR with its STATEMENT
            }
            emit("pw-done", 1);
            for (int i = 0; i < 4; i++) {
                a.collectOnce("pw-on");
                b.collectOnce("pw-off");
            }
        }
        for (Captured c : List.of(on, off)) {
            synchronized (c.json) {
                for (String j : c.json) {
                    assertFalse(j.contains(secret), "a password left the collector: " + j);
                }
            }
        }
        List<LogBatch.Entry> masked = on.entries().stream()
                .filter(e -> e.message() != null && e.message().contains("ALTER ROLE " + target)).toList();
        assertEquals(2, masked.size(), "log_statement = ddl logs both ALTER ROLE statements");
        for (LogBatch.Entry m : masked) {
            assertTrue(m.message().contains("PASSWORD '********'"), m.message());
        }
        LogBatch.Entry err = on.entries().stream().filter(e -> "ERROR".equals(e.severity())
                && e.statement() != null && e.statement().contains(target)).findFirst().orElseThrow();
        assertTrue(err.statement().contains("PASSWORD '********'"), err.statement());
        // statement text off: no SQL in any field
        LogBatch.Entry offErr = off.entries().stream().filter(e -> "ERROR".equals(e.severity())
                && e.message() != null && e.message().contains("not a date")).findFirst().orElseThrow();
        assertEquals("[statement text off]", offErr.statement());
        for (LogBatch.Entry e : off.entries()) {
            for (String field : new String[] {e.message(), e.statement(), e.detail(), e.context(), e.raw()}) {
                assertFalse(field != null && field.contains("ALTER ROLE " + target), () -> "SQL with statement text off: " + field);
            }
        }
        assertTrue(off.batches.stream().noneMatch(LogBatch::statementText));
    }

    @Test
    void aCycleAtOneMegabyteOfNewLog_costsTheServerLittle() throws Exception {
        String role = role(true);
        Captured sink = new Captured();
        FleetConfig cfg = config("mb", role, InstanceLogs.agentless(), LogSettings.defaults().withStateFile(stateFile()));
        List<dev.datainsight.collector.probe.Probe> probes = Collector.withLogs(List.of(), cfg, sink);
        LogsProbe lp = (LogsProbe) probes.get(0);
        rotate(); // a fresh file: the collector starts at its beginning
        String pad = "x".repeat(150);
        for (int i = 0; i < 2; i++) { // about 4.5 MB: four cycles of 1 MiB
            TestSupport.exec(PG.server(), "postgres", "DO $$ BEGIN FOR i IN 1..3300 LOOP RAISE LOG 'mb % " + pad
                    + "', i; END LOOP; END $$");
        }
        try (Collector c = new Collector(cfg, sink, probes)) {
            c.collectOnce("mb"); // connects, warms up
            TestSupport.exec(PG.server(), "postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                    "SELECT pg_stat_statements_reset()");
            int cycles = 3;
            long bytes0 = lp.status("mb").bytesRead();
            long t0 = System.nanoTime();
            for (int i = 0; i < cycles; i++) {
                c.collectOnce("mb");
            }
            double wallMs = (System.nanoTime() - t0) / 1e6 / cycles;
            long bytes = lp.status("mb").bytesRead() - bytes0;
            assertEquals((long) cycles * LogSettings.DEFAULT_MAX_BYTES_PER_CYCLE, bytes, "1 MiB per cycle");
            double serverMs;
            long calls;
            try (Connection conn = PG.server().connect("postgres"); Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0)"
                            + " FROM pg_stat_statements WHERE query LIKE '%probe=logs%'")) {
                rs.next();
                serverMs = rs.getDouble(1) / cycles;
                calls = rs.getLong(2);
            }
            for (Map<String, Object> r : TestSupport.query(PG.server(), "postgres", "SELECT calls, round(total_exec_time::numeric, 2) AS ms,"
                    + " substr(regexp_replace(query, '\\s+', ' ', 'g'), 1, 90) AS q FROM pg_stat_statements"
                    + " WHERE query LIKE '%probe=logs%' AND query NOT LIKE '%pg_stat_statements%' ORDER BY 2 DESC")) {
                System.out.println("  " + r);
            }
            System.out.printf("log collection, 1 MiB of new log per cycle: server time %.2f ms per cycle (%d statements"
                    + " in %d cycles); whole cycle in the collector (read + parse + publish) %.1f ms%n", serverMs, calls,
                    cycles, wallMs);
            assertEquals(cycles * 3L, calls, "per cycle: the settings, the listing, one read");
            // The target is < 20 ms (met in every run so far: 3.7 to 19.4 ms); total_exec_time is wall time and includes
            // sending the bytes to a client that a loaded machine may starve, so the bound here is looser: it
            // catches a regression such as the read going back to hex text (62 ms).
            assertTrue(serverMs > 0 && serverMs < 40, "server time per cycle " + serverMs + " ms (target < 20 ms)");
        }
    }

    @Test
    void coLocated_onTheServersOwnDirectory_readsWhatAgentlessReads() throws Exception {
        rotate();
        emit("colo", 120);
        Captured local = new Captured();
        Captured remote = new Captured();
        String role = role(true);
        FleetConfig cl = config("colo-l", role, InstanceLogs.local(LOG_DIR), LogSettings.defaults().withStateFile(stateFile()));
        FleetConfig cr = config("colo-r", role, InstanceLogs.agentless(), LogSettings.defaults().withStateFile(stateFile()));
        try (Collector a = new Collector(cl, local, Collector.withLogs(List.of(), cl, local));
                Collector b = new Collector(cr, remote, Collector.withLogs(List.of(), cr, remote))) {
            for (int i = 0; i < 3; i++) {
                a.collectOnce("colo-l");
                b.collectOnce("colo-r");
            }
        }
        List<String> l = local.entries().stream().map(e -> e.offset() + ":" + e.message()).toList();
        List<String> r = remote.entries().stream().map(e -> e.offset() + ":" + e.message()).toList();
        int n = Math.min(l.size(), r.size()); // the server may write between the two reads
        assertTrue(n >= 120, "entries: " + n);
        assertEquals(r.subList(0, n), l.subList(0, n));
        assertEquals(120, local.entries().stream().filter(e -> markerNumber(e.message(), "colo") > 0).count());
        assertTrue(local.batches.stream().allMatch(x -> x.source().equals(LogBatch.SOURCE_LOCAL)));
    }

    @Test
    void aSwitchToCsvlog_isFollowed_inTheCsvFiles() throws Exception {
        Captured sink = new Captured();
        String role = role(true);
        FleetConfig cfg = config("csv", role, InstanceLogs.agentless(), LogSettings.defaults().withStateFile(stateFile()));
        try (Collector c = new Collector(cfg, sink, Collector.withLogs(List.of(), cfg, sink))) {
            rotate();
            c.collectOnce("csv");
            try {
                TestSupport.exec(PG.server(), "postgres", "ALTER SYSTEM SET log_destination = 'stderr,csvlog'",
                        "SELECT pg_catalog.pg_reload_conf()");
                Thread.sleep(300);
                rotate();
                emit("csv-mark", 50);
                for (int i = 0; i < 3; i++) {
                    c.collectOnce("csv");
                }
            } finally {
                TestSupport.exec(PG.server(), "postgres", "ALTER SYSTEM RESET log_destination",
                        "SELECT pg_catalog.pg_reload_conf()");
                Thread.sleep(300);
                rotate();
            }
        }
        List<LogBatch> csv = sink.batches.stream().filter(b -> b.format().equals("csvlog")).toList();
        assertFalse(csv.isEmpty(), () -> "csvlog preferred once the server writes it: " + sink.batches.stream()
                .map(b -> b.file() + "/" + b.format() + "/" + b.entries().size()).toList() + " in " + listing());
        assertTrue(csv.stream().allMatch(b -> b.file().endsWith(".csv")));
        List<LogBatch.Entry> marks = csv.stream().flatMap(b -> b.entries().stream())
                .filter(e -> markerNumber(e.message(), "csv-mark") > 0).toList();
        assertEquals(50, marks.size());
        assertEquals(50, marks.stream().map(LogBatch.Entry::message).distinct().count());
        assertTrue(marks.stream().allMatch(e -> e.backendType() != null && e.sessionId() != null),
                "csvlog carries the fields the prefix does not");
        assertTrue(csv.stream().flatMap(b -> b.entries().stream()).noneMatch(LogBatch.Entry::unparsed));
    }
}
