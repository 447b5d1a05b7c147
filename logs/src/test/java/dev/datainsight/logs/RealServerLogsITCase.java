package dev.datainsight.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.logs.LogEvent.LockWait.Phase;
import dev.datainsight.logs.LogEvent.ServerLifecycle.Stage;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real servers 13..18 write their logs in every format they have; each induced event must come
 * out of each file as its typed event with the right fields, and no line may be left unparsed.
 */
class RealServerLogsITCase {
    static Stream<Arguments> serversAndFormats() {
        List<Arguments> out = new ArrayList<>();
        for (int major : majors()) {
            for (LogFormat f : LogFormat.values()) {
                if (f != LogFormat.JSONLOG || major >= 15) {
                    out.add(Arguments.of(major, f));
                }
            }
        }
        return out.stream();
    }

    /** The versions tested: all of 13..18 unless -Dlogs.majors=13,18 narrows them. */
    static int[] majors() {
        String s = System.getProperty("logs.majors", "13,14,15,16,17,18");
        return Stream.of(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    @ParameterizedTest(name = "PostgreSQL {0} {1}")
    @MethodSource("serversAndFormats")
    void everyInducedEventArrivesTyped(int major, LogFormat format) throws Exception {
        ServerLogs.Induced in = ServerLogs.of(major);
        List<LogEntry> entries = LogFiles.read(in.file(format), format, major, LogOptions.defaults(), major * 31L + format.ordinal());

        // nothing unparsed, nothing lost or doubled by the restart in the middle
        List<LogEntry> unparsed = entries.stream().filter(e -> !e.parsed()).toList();
        assertTrue(unparsed.isEmpty(), () -> "unparsed: " + unparsed);
        List<LogEntry> whole = LogFiles.readWhole(in.file(format), format, major, LogOptions.defaults());
        assertEquals(whole, entries, "chunked + resumed read equals one whole read");
        for (int i = 1; i < entries.size(); i++) {
            assertEquals(entries.get(i - 1).endOffset(), entries.get(i).offset(), "entries tile the file");
        }

        List<LogEvent> events = LogFiles.events(entries);

        // session fields, from the prefix or the csv/json columns
        LogEntry ddl = entries.stream().filter(e -> e.message() != null && e.message().contains("CREATE ROLE pwuser"))
                .findFirst().orElseThrow();
        assertEquals("postgres", ddl.user());
        assertEquals("logtest", ddl.database());
        assertEquals("logs-it", ddl.application());
        assertEquals("127.0.0.1", ddl.client());
        // jsonlog leaves state_code out when it is 00000
        assertEquals(format == LogFormat.JSONLOG ? null : "00000", ddl.sqlstate());
        assertEquals("LOG", ddl.severity());
        assertNotNull(ddl.timestamp());
        assertNotNull(ddl.pid());

        // deadlock: both processes, both statements
        List<LogEvent.Deadlock> deadlocks = LogFiles.of(events, LogEvent.Deadlock.class);
        assertEquals(1, deadlocks.size(), "deadlocks");
        LogEvent.Deadlock dl = deadlocks.get(0);
        assertEquals(2, dl.processes().size());
        Map<Integer, String> stmts = dl.processes().stream()
                .collect(Collectors.toMap(LogEvent.DeadlockProcess::pid, LogEvent.DeadlockProcess::statement));
        assertEquals(Map.of(in.deadlockPid1(), ServerLogs.DEADLOCK_SQL_1, in.deadlockPid2(), ServerLogs.DEADLOCK_SQL_2), stmts);
        for (LogEvent.DeadlockProcess p : dl.processes()) {
            assertEquals("ShareLock", p.lockMode());
            assertTrue(p.lockTarget().startsWith("transaction "), p.lockTarget());
            assertEquals(p.pid() == in.deadlockPid1() ? in.deadlockPid2() : in.deadlockPid1(), p.blockedBy());
        }
        assertEquals("40P01", dl.entry().sqlstate());
        assertTrue(LogFiles.of(events, LogEvent.Error.class).stream().anyMatch(e -> "40P01".equals(e.sqlstate()) && "40".equals(e.sqlstateClass())));

        // lock wait past deadlock_timeout, then acquired
        List<LogEvent.LockWait> waits = LogFiles.of(events, LogEvent.LockWait.class).stream()
                .filter(w -> w.waiterPid() == in.lockWaiterPid()).toList();
        LogEvent.LockWait still = waits.stream().filter(w -> w.phase() == Phase.STILL_WAITING).findFirst().orElseThrow();
        assertEquals(List.of(in.lockHolderPid()), still.holderPids());
        assertEquals(List.of(in.lockWaiterPid()), still.queuePids());
        assertEquals("ShareLock", still.lockMode());
        assertNotNull(still.transactionId());
        assertEquals("lw", still.relationName());
        assertEquals(ServerLogs.LOCKWAIT_SQL, still.statement());
        assertTrue(still.waitMs() >= 200, "waited " + still.waitMs());
        LogEvent.LockWait acquired = waits.stream().filter(w -> w.phase() == Phase.ACQUIRED).findFirst().orElseThrow();
        assertTrue(acquired.waitMs() > still.waitMs(), "acquired after " + acquired.waitMs());
        // the deadlock's victim logged "detected deadlock while waiting"
        assertTrue(LogFiles.of(events, LogEvent.LockWait.class).stream().anyMatch(w -> w.phase() == Phase.DETECTED_DEADLOCK));

        // temp files of the spilling sort, with their statement
        List<LogEvent.TempFile> temps = LogFiles.of(events, LogEvent.TempFile.class);
        assertFalse(temps.isEmpty(), "temp files");
        assertTrue(temps.stream().allMatch(t -> t.sizeBytes() > 0 && t.path().contains("pgsql_tmp")), temps::toString);
        assertTrue(temps.stream().anyMatch(t -> ServerLogs.TEMP_SQL.equals(t.statement())), temps::toString);

        // the failed login
        List<LogEvent.AuthenticationFailure> auth = LogFiles.of(events, LogEvent.AuthenticationFailure.class);
        assertEquals(1, auth.size(), auth::toString);
        assertEquals("pwuser", auth.get(0).user());
        assertEquals("127.0.0.1", auth.get(0).client());
        assertEquals("scram-sha-256", auth.get(0).method());
        assertEquals("28P01", auth.get(0).entry().sqlstate());

        // checkpoint (CHECKPOINT: immediate force wait) and its complete line
        List<LogEvent.CheckpointStarting> starts = LogFiles.of(events, LogEvent.CheckpointStarting.class);
        assertTrue(starts.stream().anyMatch(s -> s.flags().equals("immediate force wait")), starts::toString);
        List<LogEvent.CheckpointComplete> done = LogFiles.of(events, LogEvent.CheckpointComplete.class);
        // (the checkpoint running when the backend was killed never completes)
        assertFalse(done.isEmpty());
        for (LogEvent.CheckpointComplete c : done) {
            assertNotNull(c.distanceKb());
            assertNotNull(c.estimateKb());
            assertNotNull(c.walFilesAdded());
            assertTrue(c.totalSeconds() >= c.writeSeconds());
            assertEquals(major >= 18, c.slruBuffersWritten() != null, "SLRU buffers are logged from 18 on");
        }
        assertTrue(done.stream().anyMatch(c -> c.buffersWritten() > 0));
        List<LogEvent.CheckpointTooFrequent> warnings = LogFiles.of(events, LogEvent.CheckpointTooFrequent.class);
        assertFalse(warnings.isEmpty(), "checkpoint warnings");
        assertTrue(warnings.get(0).secondsApart() < 3600, warnings::toString);
        assertTrue(starts.stream().anyMatch(s -> s.flags().contains("wal")), starts::toString);

        // autovacuum and autoanalyze of av: 1000 of 2000 rows deleted
        List<LogEvent.Autovacuum> av = LogFiles.of(events, LogEvent.Autovacuum.class).stream()
                .filter(a -> a.table().equals("logtest.public.av")).toList();
        LogEvent.Autovacuum vac = av.stream().filter(a -> !a.analyze() && Long.valueOf(1000).equals(a.tuplesRemoved()))
                .findFirst().orElseThrow(() -> new AssertionError("no vacuum removing 1000 tuples: " + av));
        assertEquals(1000L, vac.tuplesRemaining());
        assertEquals(0L, vac.tuplesDeadNotRemovable());
        assertNotNull(vac.elapsedSeconds());
        assertNotNull(vac.pagesRemaining());
        assertTrue(av.stream().anyMatch(a -> a.analyze() && a.elapsedSeconds() != null), av::toString);

        // slow statements: extended protocol (execute <unnamed>) and simple protocol
        List<LogEvent.SlowStatement> slow = LogFiles.of(events, LogEvent.SlowStatement.class);
        LogEvent.SlowStatement ext = slow.stream().filter(s -> s.statement().equals(ServerLogs.SLOW_SQL)).findFirst().orElseThrow();
        assertEquals("execute", ext.step());
        assertEquals("<unnamed>", ext.name());
        assertTrue(ext.durationMs() >= 250, "" + ext.durationMs());
        LogEvent.SlowStatement simple = slow.stream().filter(s -> s.statement().equals(ServerLogs.SLOW_SIMPLE_SQL)).findFirst().orElseThrow();
        assertEquals("statement", simple.step());
        assertNull(simple.name());
        assertTrue(simple.durationMs() >= 150, "" + simple.durationMs());

        // auto_explain: a text plan and a JSON plan
        List<LogEvent.AutoExplainPlan> plans = LogFiles.of(events, LogEvent.AutoExplainPlan.class);
        LogEvent.AutoExplainPlan text = plans.stream().filter(p -> p.format().equals("text")).findFirst().orElseThrow();
        assertEquals("SELECT count(*) FROM dl WHERE v >= 0", text.queryText());
        assertTrue(text.plan().contains("Seq Scan on dl"), text.plan());
        LogEvent.AutoExplainPlan json = plans.stream().filter(p -> p.format().equals("json")).findFirst().orElseThrow();
        assertEquals("SELECT count(*) FROM lw WHERE v >= 0", json.queryText());
        JsonNode plan = new ObjectMapper().readTree(json.plan());
        assertEquals("Aggregate", plan.path("Plan").path("Node Type").asText());
        assertEquals("lw", plan.path("Plan").path("Plans").get(0).path("Relation Name").asText());

        // start, crash recovery after kill -9 of a backend, shutdown
        List<LogEvent.ServerLifecycle> life = LogFiles.of(events, LogEvent.ServerLifecycle.class);
        Set<Stage> stages = life.stream().map(LogEvent.ServerLifecycle::stage).collect(Collectors.toCollection(() -> EnumSet.noneOf(Stage.class)));
        assertTrue(stages.containsAll(EnumSet.of(Stage.STARTING, Stage.READY, Stage.PROCESS_TERMINATED_BY_SIGNAL,
                Stage.REINITIALIZING, Stage.INTERRUPTED, Stage.NOT_PROPERLY_SHUT_DOWN, Stage.REDO_STARTS,
                Stage.SHUTDOWN_REQUESTED, Stage.SHUT_DOWN)), stages::toString);
        assertTrue(life.stream().anyMatch(l -> l.stage() == Stage.PROCESS_TERMINATED_BY_SIGNAL
                && Integer.valueOf(in.killedPid()).equals(l.processPid())));

        // connections (log_connections)
        assertTrue(LogFiles.of(events, LogEvent.Connection.class).stream()
                .anyMatch(c -> c.user().equals("postgres") && "logtest".equals(c.database())));

        // passwords never leave the reader, in any field or the raw text
        List<String> secrets = List.of(ServerLogs.SECRET_INITIAL, ServerLogs.SECRET_NEW, "Quoted", ServerLogs.SECRET_DOLLAR,
                ServerLogs.SECRET_BROKEN);
        for (LogEntry e : entries) {
            String all = String.join("|", String.valueOf(e.message()), String.valueOf(e.detail()), String.valueOf(e.statement()),
                    String.valueOf(e.context()), String.valueOf(e.internalQuery()), String.valueOf(e.raw()));
            for (String s : secrets) {
                assertFalse(all.contains(s), () -> "password " + s + " in " + e);
            }
        }
        long masked = entries.stream().filter(e -> e.message().contains(Redactor.MASK)
                || (e.statement() != null && e.statement().contains(Redactor.MASK))).count();
        assertTrue(masked >= 5, "masked entries: " + masked);
    }

    @ParameterizedTest(name = "PostgreSQL {0} {1}")
    @MethodSource("serversAndFormats")
    void statementTextOffLeavesNoSql(int major, LogFormat format) {
        ServerLogs.Induced in = ServerLogs.of(major);
        List<LogEntry> entries = LogFiles.readWhole(in.file(format), format, major, LogOptions.defaults().withStatementText(false));
        List<String> sql = List.of("UPDATE dl", "UPDATE lw", "generate_series(1, 200000)", "pg_sleep(0.25)", "pg_sleep(0.15)",
                "FROM dl WHERE", "CREATE ROLE", "ALTER USER");
        for (LogEntry e : entries) {
            String all = String.join("|", String.valueOf(e.message()), String.valueOf(e.detail()), String.valueOf(e.statement()),
                    String.valueOf(e.context()), String.valueOf(e.internalQuery()), String.valueOf(e.raw()));
            for (String s : sql) {
                assertFalse(all.contains(s), () -> s + " in " + e);
            }
        }
        List<LogEvent> events = LogFiles.events(entries);
        LogEvent.Deadlock dl = LogFiles.of(events, LogEvent.Deadlock.class).get(0);
        assertEquals(Set.of(in.deadlockPid1(), in.deadlockPid2()),
                dl.processes().stream().map(LogEvent.DeadlockProcess::pid).collect(Collectors.toSet()));
        assertTrue(dl.processes().stream().allMatch(p -> Redactor.OFF.equals(p.statement())));
        assertTrue(LogFiles.of(events, LogEvent.SlowStatement.class).stream().anyMatch(s -> s.durationMs() >= 250));
        assertFalse(LogFiles.of(events, LogEvent.TempFile.class).isEmpty());
    }
}
