package dev.datainsight.logs;

import java.util.List;

/**
 * A typed event recognised in a {@link LogEntry} by {@link LogEvents}. Every event keeps the
 * entry it came from (timestamp, pid, user, database, raw text). Numbers the message does not
 * carry on a given server version are null.
 */
public sealed interface LogEvent {
    /** The entry the event was read from. */
    LogEntry entry();

    /** Short name of the event kind, as used in counts and docs: {@code error}, {@code deadlock}, ... */
    String kind();

    /** Any ERROR, FATAL or PANIC entry, by SQLSTATE class (null class when no SQLSTATE is logged). */
    record Error(LogEntry entry, String severity, String sqlstate, String sqlstateClass, String message)
            implements LogEvent {
        public String kind() { return "error"; }
    }

    /** A failed login: {@code password authentication failed for user "x"}, {@code no pg_hba.conf entry ...}. */
    record AuthenticationFailure(LogEntry entry, String user, String client, String method, String database,
            String message) implements LogEvent {
        public String kind() { return "auth_failure"; }
    }

    /** {@code connection authorized: user=x database=y application_name=z} (log_connections). */
    record Connection(LogEntry entry, String user, String database, String application) implements LogEvent {
        public String kind() { return "connection"; }
    }

    /** A refused connection for lack of slots. */
    record ConnectionLimit(LogEntry entry, Reason reason, String name) implements LogEvent {
        public enum Reason { TOO_MANY_CLIENTS, RESERVED_SLOTS, ROLE_LIMIT, DATABASE_LIMIT }
        public String kind() { return "connection_limit"; }
    }

    /** {@code deadlock detected}, with each process of the DETAIL: what it waited for, and its statement. */
    record Deadlock(LogEntry entry, List<DeadlockProcess> processes, String context) implements LogEvent {
        public String kind() { return "deadlock"; }
    }

    /** One process of a deadlock cycle; statement is null when the DETAIL does not show it. */
    record DeadlockProcess(int pid, String lockMode, String lockTarget, Integer blockedBy, String statement) {}

    /**
     * A lock wait reported by log_lock_waits (after deadlock_timeout).
     *
     * @param phase STILL_WAITING, ACQUIRED, AVOIDED_DEADLOCK or DETECTED_DEADLOCK
     * @param lockTarget what was waited on, as written: {@code transaction 745},
     *     {@code relation 16384 of database 5}, {@code tuple (0,1) of relation 16384 of database 5}
     * @param relationOid the relation's OID when the target names one
     * @param tuple the tuple id {@code (block,offset)} when the target is a tuple
     */
    record LockWait(LogEntry entry, Phase phase, int waiterPid, String lockMode, String lockTarget, Long relationOid,
            String tuple, Long transactionId, double waitMs, List<Integer> holderPids, List<Integer> queuePids,
            String relationName, String statement) implements LogEvent {
        public enum Phase { STILL_WAITING, ACQUIRED, AVOIDED_DEADLOCK, DETECTED_DEADLOCK }
        public String kind() { return "lock_wait"; }
    }

    /** {@code checkpoint starting: immediate force wait} (or restartpoint). */
    record CheckpointStarting(LogEntry entry, boolean restartpoint, String flags) implements LogEvent {
        public String kind() { return "checkpoint_starting"; }
    }

    /** {@code checkpoint complete: wrote N buffers (p%); ... distance=D kB, estimate=E kB}. */
    record CheckpointComplete(LogEntry entry, boolean restartpoint, long buffersWritten, Double buffersPercent,
            Long slruBuffersWritten, Long walFilesAdded, Long walFilesRemoved, Long walFilesRecycled,
            double writeSeconds, double syncSeconds, double totalSeconds, Long syncFiles, Double longestSyncSeconds,
            Double averageSyncSeconds, Long distanceKb, Long estimateKb) implements LogEvent {
        public String kind() { return "checkpoint_complete"; }
    }

    /** {@code checkpoints are occurring too frequently (N seconds apart)}. */
    record CheckpointTooFrequent(LogEntry entry, int secondsApart) implements LogEvent {
        public String kind() { return "checkpoint_warning"; }
    }

    /**
     * An autovacuum or autoanalyze report (log_autovacuum_min_duration).
     *
     * @param analyze true for {@code automatic analyze}, false for vacuum
     * @param table {@code db.schema.table}
     */
    record Autovacuum(LogEntry entry, boolean analyze, boolean aggressive, boolean wraparound, String table,
            Long indexScans, Long pagesRemoved, Long pagesRemaining, Long tuplesRemoved, Long tuplesRemaining,
            Long tuplesDeadNotRemovable, Double elapsedSeconds) implements LogEvent {
        public String kind() { return analyze ? "autoanalyze" : "autovacuum"; }
    }

    /** {@code skipping vacuum of "t" --- lock not available} (or analyze). */
    record VacuumSkipped(LogEntry entry, boolean analyze, String table, String reason) implements LogEvent {
        public String kind() { return "vacuum_skipped"; }
    }

    /** {@code temporary file: path "...", size N} (log_temp_files), with the statement that made it. */
    record TempFile(LogEntry entry, String path, long sizeBytes, String statement) implements LogEvent {
        public String kind() { return "temp_file"; }
    }

    /**
     * {@code duration: N ms  statement: ...} (log_min_duration_statement, or
     * {@code execute <name>:}, {@code parse}, {@code bind} for the extended protocol).
     *
     * @param step statement, execute, parse, bind or fastpath
     * @param name prepared statement or portal name of the extended protocol, else null
     * @param parameters the DETAIL's {@code parameters: $1 = ...}, when logged
     */
    record SlowStatement(LogEntry entry, double durationMs, String step, String name, String statement,
            String parameters) implements LogEvent {
        public String kind() { return "slow_statement"; }
    }

    /** An auto_explain plan: {@code duration: N ms  plan:} then the plan (text or JSON). */
    record AutoExplainPlan(LogEntry entry, double durationMs, String format, String queryText, String plan)
            implements LogEvent {
        public String kind() { return "auto_explain"; }
    }

    /** Server start, shutdown and crash recovery. */
    record ServerLifecycle(LogEntry entry, Stage stage, Integer processPid, String detail) implements LogEvent {
        public enum Stage {
            STARTING, READY, SHUTDOWN_REQUESTED, SHUT_DOWN, WAS_SHUT_DOWN, INTERRUPTED, NOT_PROPERLY_SHUT_DOWN,
            PROCESS_TERMINATED_BY_SIGNAL, PROCESS_EXITED, REINITIALIZING, REDO_STARTS, REDO_DONE, PANIC
        }
        public String kind() { return "server"; }
    }

    /** A standby's WAL receiver or a sender failing: could not connect to the primary, stream lost, ... */
    record ReplicationFailure(LogEntry entry, String message) implements LogEvent {
        public String kind() { return "replication_failure"; }
    }

    /** {@code out of memory} or {@code could not fork ...}. */
    record ResourceExhaustion(LogEntry entry, Resource resource, String message, String detail) implements LogEvent {
        public enum Resource { OUT_OF_MEMORY, COULD_NOT_FORK }
        public String kind() { return "resource_exhaustion"; }
    }
}
