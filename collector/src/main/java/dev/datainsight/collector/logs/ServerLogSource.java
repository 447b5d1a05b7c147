package dev.datainsight.collector.logs;

import dev.datainsight.collector.probe.SqlVariants;
import dev.datainsight.model.LogBatch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Agentless: the log directory through the collector's own connection. {@code pg_ls_logdir()}
 * (granted to pg_monitor) lists it; {@code pg_read_binary_file(path, offset, length, true)}
 * reads bytes (it needs an explicit {@code GRANT EXECUTE}; the binary variant, because
 * {@code pg_read_file} refuses a read that starts or ends inside a multi-byte character).
 * Relative paths are resolved by the server against its data directory, as {@code log_directory} is.
 */
final class ServerLogSource implements LogSource {
    static final String LIST = SqlVariants.tag("logs", """
            SELECT l.name, l.size, (EXTRACT(EPOCH FROM l.modification) * 1000)::bigint
            FROM pg_catalog.pg_ls_logdir() l""");
    static final String READ = SqlVariants.tag("logs", """
            SELECT pg_catalog.pg_read_binary_file(pg_catalog.current_setting('log_directory') || '/' || ?, ?, ?, true)""");

    private final Connection conn;

    ServerLogSource(Connection conn) {
        this.conn = conn;
    }

    @Override
    public List<LogFile> list() throws SQLException {
        List<LogFile> out = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(LIST); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new LogFile(rs.getString(1), rs.getLong(2), rs.getLong(3)));
            }
        }
        return out;
    }

    @Override
    public byte[] read(String name, long offset, int length) throws SQLException {
        if (name.contains("/")) {
            throw new IllegalArgumentException("not a file name: " + name);
        }
        try (PreparedStatement ps = conn.prepareStatement(READ)) {
            // binary transfer from the first execution: the server sends the bytes as they are
            // instead of hex text twice their size (the text encoding dominated the server time)
            ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(-1);
            ps.setString(1, name);
            ps.setLong(2, offset);
            ps.setLong(3, length);
            try (ResultSet rs = ps.executeQuery()) {
                byte[] b = rs.next() ? rs.getBytes(1) : null;
                return b == null ? new byte[0] : b;
            }
        }
    }

    @Override
    public String kind() {
        return LogBatch.SOURCE_AGENTLESS;
    }
}
