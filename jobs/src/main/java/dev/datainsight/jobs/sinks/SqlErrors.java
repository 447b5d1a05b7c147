package dev.datainsight.jobs.sinks;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What a store error means for the sink, by SQLSTATE: a row the store refuses (classes 22 data
 * exception and 23 integrity constraint, except 23505 which the writer handles itself), a transient
 * failure worth retrying (08 connection, 40001 serialization, 40P01 deadlock, 57P01..03 server
 * shutting down or starting, 53300 too many connections), or anything else (fails the task).
 */
public final class SqlErrors {
    private SqlErrors() {}

    /** The first SQLSTATE found in the exception, its chained SQL exceptions and its causes; null if none. */
    public static String sqlState(Throwable t) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable e = t; e != null && seen.put(e, Boolean.TRUE) == null; e = e.getCause()) {
            if (e instanceof SQLException s) {
                for (SQLException x = s; x != null && (x == s || seen.put(x, Boolean.TRUE) == null);
                        x = x.getNextException()) {
                    if (x.getSQLState() != null && !x.getSQLState().isBlank()) {
                        return x.getSQLState();
                    }
                }
            }
        }
        return null;
    }

    /** A row the store refuses: isolating it and writing the rest is the way on. */
    public static boolean isRowError(Throwable t) {
        String s = sqlState(t);
        return s != null && (s.startsWith("22") || s.startsWith("23") && !s.equals("23505"));
    }

    /** A failure that may pass: retry (on a fresh connection) before failing the task. */
    public static boolean isTransient(Throwable t) {
        String s = sqlState(t);
        if (s == null) {
            return false;
        }
        return s.startsWith("08") || s.equals("40001") || s.equals("40P01") || s.equals("57P01")
                || s.equals("57P02") || s.equals("57P03") || s.equals("53300");
    }

    /** The most specific message of the chain: the server's, when the driver wrapped it. */
    public static String message(Throwable t) {
        Throwable best = t;
        for (Throwable e = t; e != null; e = e.getCause()) {
            if (e instanceof SQLException s) {
                best = s;
                if (s.getNextException() != null) {
                    best = s.getNextException();
                }
            }
            if (e.getCause() == e) {
                break;
            }
        }
        return String.valueOf(best.getMessage());
    }
}
