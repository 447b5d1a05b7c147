package dev.datainsight.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Messages the real-server tests cannot induce cheaply (connection limits, out of memory, fork
 * failures, replication, skipped vacuums, restartpoints), in the servers' own wording.
 */
class LogEventsTest {
    private static LogEvent only(String lines) {
        LogReader r = LogReader.stderr("%m [%p] %q%u@%d ", LogOptions.defaults());
        List<LogEntry> e = new ArrayList<>(r.feed(lines.getBytes(StandardCharsets.UTF_8), 0).entries());
        e.addAll(r.finish().entries());
        assertEquals(1, e.size(), e::toString);
        List<LogEvent> ev = LogEvents.classify(e.get(0));
        assertTrue(!ev.isEmpty(), "no event from " + e.get(0));
        return ev.get(ev.size() - 1);
    }

    private static final String TS = "2026-12-03 10:00:00.000 UTC ";

    @Test
    void connectionLimits() {
        var a = (LogEvent.ConnectionLimit) only(TS + "[9] bob@shop FATAL:  sorry, too many clients already\n");
        assertEquals(LogEvent.ConnectionLimit.Reason.TOO_MANY_CLIENTS, a.reason());
        var b = (LogEvent.ConnectionLimit) only(TS + "[9] bob@shop FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute\n");
        assertEquals(LogEvent.ConnectionLimit.Reason.RESERVED_SLOTS, b.reason());
        var c = (LogEvent.ConnectionLimit) only(TS + "[9] bob@shop FATAL:  remaining connection slots are reserved for non-replication superuser connections\n");
        assertEquals(LogEvent.ConnectionLimit.Reason.RESERVED_SLOTS, c.reason());
        var d = (LogEvent.ConnectionLimit) only(TS + "[9] bob@shop FATAL:  too many connections for role \"bob\"\n");
        assertEquals(LogEvent.ConnectionLimit.Reason.ROLE_LIMIT, d.reason());
        assertEquals("bob", d.name());
    }

    @Test
    void authenticationFailuresOfEveryKind() {
        var a = (LogEvent.AuthenticationFailure) only(TS + "[9] bob@shop FATAL:  password authentication failed for user \"bob\"\n"
                + TS + "[9] bob@shop DETAIL:  Connection matched pg_hba.conf line 95: \"host    all   all   0.0.0.0/0   md5\"\n");
        assertEquals("bob", a.user());
        assertEquals("md5", a.method());
        var b = (LogEvent.AuthenticationFailure) only(TS + "[9] bob@shop FATAL:  no pg_hba.conf entry for host \"10.1.2.3\", user \"bob\", database \"shop\", no encryption\n");
        assertEquals("no_hba_entry", b.method());
        assertEquals("10.1.2.3", b.client());
        assertEquals("shop", b.database());
        var c = (LogEvent.AuthenticationFailure) only(TS + "[9] eve@shop FATAL:  role \"eve\" does not exist\n");
        assertEquals("eve", c.user());
        assertNull(c.method());
        var d = (LogEvent.AuthenticationFailure) only(TS + "[9] bob@shop FATAL:  Ident authentication failed for user \"bob\"\n");
        assertEquals("Ident", d.method());
    }

    @Test
    void resourceExhaustion() {
        var a = (LogEvent.ResourceExhaustion) only(TS + "[9] bob@shop ERROR:  out of memory\n"
                + TS + "[9] bob@shop DETAIL:  Failed on request of size 8192 in memory context \"ExecutorState\".\n");
        assertEquals(LogEvent.ResourceExhaustion.Resource.OUT_OF_MEMORY, a.resource());
        assertTrue(a.detail().contains("ExecutorState"));
        var b = (LogEvent.ResourceExhaustion) only(TS + "[1] LOG:  could not fork new process for connection: Cannot allocate memory\n");
        assertEquals(LogEvent.ResourceExhaustion.Resource.COULD_NOT_FORK, b.resource());
    }

    @Test
    void replicationFailures() {
        assertTrue(only(TS + "[5] FATAL:  could not connect to the primary server: connection to server at \"10.0.0.1\", port 5432 failed: Connection refused\n")
                instanceof LogEvent.ReplicationFailure);
        assertTrue(only(TS + "[5] LOG:  could not receive data from WAL stream: server closed the connection unexpectedly\n")
                instanceof LogEvent.ReplicationFailure);
        assertTrue(only(TS + "[5] ERROR:  replication slot \"standby1\" does not exist\n") instanceof LogEvent.ReplicationFailure);
        assertTrue(only(TS + "[5] FATAL:  terminating walreceiver due to timeout\n") instanceof LogEvent.ReplicationFailure);
    }

    @Test
    void vacuumSkippedAndWraparound() {
        var s = (LogEvent.VacuumSkipped) only(TS + "[7] LOG:  skipping vacuum of \"orders\" --- lock not available\n");
        assertEquals("orders", s.table());
        assertEquals("lock not available", s.reason());
        var v = (LogEvent.Autovacuum) only(TS + "[7] LOG:  automatic aggressive vacuum to prevent wraparound of table \"shop.public.orders\": index scans: 1\n"
                + "\tpages: 0 removed, 10 remain, 0 skipped due to pins, 0 skipped frozen\n"
                + "\ttuples: 5 removed, 900 remain, 3 are dead but not yet removable, oldest xmin: 750\n"
                + "\tsystem usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 1.25 s\n");
        assertTrue(v.aggressive());
        assertTrue(v.wraparound());
        assertEquals(5L, v.tuplesRemoved());
        assertEquals(900L, v.tuplesRemaining());
        assertEquals(3L, v.tuplesDeadNotRemovable());
        assertEquals(1.25, v.elapsedSeconds());
        // 13's autoanalyze line has its usage on the same line
        var a = (LogEvent.Autovacuum) only(TS + "[7] LOG:  automatic analyze of table \"shop.public.orders\" system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.07 s\n");
        assertTrue(a.analyze());
        assertEquals(0.07, a.elapsedSeconds());
    }

    @Test
    void checkpointLinesOf13To18AndRestartpoints() {
        var c13 = (LogEvent.CheckpointComplete) only(TS + "[4] LOG:  checkpoint complete: wrote 8279 buffers (50.5%); 0 WAL file(s) added, 0 removed, 3 recycled; write=2.277 s, sync=0.194 s, total=2.532 s; sync files=13, longest=0.175 s, average=0.014 s; distance=402024 kB, estimate=402024 kB\n");
        assertEquals(8279, c13.buffersWritten());
        assertEquals(50.5, c13.buffersPercent());
        assertEquals(3L, c13.walFilesRecycled());
        assertEquals(2.532, c13.totalSeconds());
        assertEquals(13L, c13.syncFiles());
        assertEquals(402024L, c13.distanceKb());
        assertNull(c13.slruBuffersWritten());
        var c18 = (LogEvent.CheckpointComplete) only(TS + "[4] LOG:  restartpoint complete: wrote 981 buffers (6.0%), wrote 3 SLRU buffers; 0 WAL file(s) added, 1 removed, 0 recycled; write=0.077 s, sync=0.001 s, total=0.078 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1 kB, estimate=5 kB; lsn=0/1BA1B08, redo lsn=0/1BA1AD0\n");
        assertTrue(c18.restartpoint());
        assertEquals(3L, c18.slruBuffersWritten());
        assertEquals(5L, c18.estimateKb());
        var w = (LogEvent.CheckpointTooFrequent) only(TS + "[4] LOG:  checkpoints are occurring too frequently (9 seconds apart)\n"
                + TS + "[4] HINT:  Consider increasing the configuration parameter \"max_wal_size\".\n");
        assertEquals(9, w.secondsApart());
    }

    @Test
    void lockWaitOnARelationWithSeveralHolders() {
        var l = (LogEvent.LockWait) only(TS + "[812] bob@shop LOG:  process 812 still waiting for AccessExclusiveLock on relation 16384 of database 5 after 1000.123 ms\n"
                + TS + "[812] bob@shop DETAIL:  Processes holding the lock: 700, 701. Wait queue: 812, 813.\n"
                + TS + "[812] bob@shop STATEMENT:  TRUNCATE orders\n");
        assertEquals(812, l.waiterPid());
        assertEquals("AccessExclusiveLock", l.lockMode());
        assertEquals(16384L, l.relationOid());
        assertEquals(List.of(700, 701), l.holderPids());
        assertEquals(List.of(812, 813), l.queuePids());
        assertEquals(1000.123, l.waitMs());
        assertEquals("TRUNCATE orders", l.statement());
        var t = (LogEvent.LockWait) only(TS + "[812] bob@shop LOG:  process 812 acquired ExclusiveLock on tuple (0,1) of relation 16384 of database 5 after 2000.5 ms\n");
        assertEquals("(0,1)", t.tuple());
        assertEquals(LogEvent.LockWait.Phase.ACQUIRED, t.phase());
    }

    @Test
    void serverCrashAndPanic() {
        var k = (LogEvent.ServerLifecycle) only(TS + "[1] LOG:  server process (PID 4711) was terminated by signal 9: Killed\n");
        assertEquals(LogEvent.ServerLifecycle.Stage.PROCESS_TERMINATED_BY_SIGNAL, k.stage());
        assertEquals(4711, k.processPid());
        var p = (LogEvent.ServerLifecycle) only(TS + "[3] PANIC:  could not write to file \"pg_wal/xlogtemp.3\": No space left on device\n");
        assertEquals(LogEvent.ServerLifecycle.Stage.PANIC, p.stage());
        var x = (LogEvent.ServerLifecycle) only(TS + "[1] LOG:  background worker \"logical replication launcher\" (PID 88) exited with exit code 1\n");
        assertEquals(LogEvent.ServerLifecycle.Stage.PROCESS_EXITED, x.stage());
    }

    @Test
    void malformedNumbersGiveNoEventButNoFailure() {
        LogReader r = LogReader.stderr("%m [%p] %l ", LogOptions.defaults());
        List<LogEntry> e = new ArrayList<>(r.feed((TS + "[9] 99999999999999999999999 ERROR:  x\n"
                + TS + "[9] 1 LOG:  process 99999999999 still waiting for ShareLock on transaction 1 after 1.0 ms\n").getBytes(StandardCharsets.UTF_8), 0).entries());
        e.addAll(r.finish().entries());
        assertEquals(2, e.size());
        assertNull(e.get(0).lineNumber());
        assertEquals(1, LogEvents.classify(e.get(0)).size(), "the error event");
        assertTrue(LogEvents.classify(e.get(1)).isEmpty());
    }

    @Test
    void longJsonPlansKeepTheirQueryText() {
        String longSql = "SELECT \\\"a\\\", 'x' FROM t WHERE id IN (" + "1, ".repeat(20_000) + "1)";
        String msg = "duration: 1.5 ms  plan:\n{\n  \"Query Text\": \"" + longSql + "\",\n  \"Plan\": {}\n}";
        LogEntry.Builder b = new LogEntry.Builder();
        b.severity = "LOG";
        b.message = msg;
        var p = (LogEvent.AutoExplainPlan) LogEvents.classify(b.build()).get(0);
        assertEquals("json", p.format());
        assertEquals(longSql.replace("\\\"", "\""), p.queryText());
    }

    @Test
    void extendedProtocolDurationsWithParameters() {
        var s = (LogEvent.SlowStatement) only(TS + "[9] bob@shop LOG:  duration: 1500.000 ms  execute S_3: SELECT * FROM t WHERE id = $1\n"
                + TS + "[9] bob@shop DETAIL:  parameters: $1 = '42'\n");
        assertEquals("execute", s.step());
        assertEquals("S_3", s.name());
        assertEquals("$1 = '42'", s.parameters());
        var b = (LogEvent.SlowStatement) only(TS + "[9] bob@shop LOG:  duration: 0.5 ms  bind <unnamed>: SELECT 1\n");
        assertEquals("bind", b.step());
    }
}
