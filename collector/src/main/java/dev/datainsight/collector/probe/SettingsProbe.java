package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code pg_settings}: the settings rules compare against (connection limits, autovacuum
 * triggers and workers, freeze ages, checkpoint spacing, WAL senders and slots, slot WAL limit,
 * hot_standby_feedback, track_io_timing, block size) plus the postmaster start time and the
 * number of settings waiting for a restart ({@code pending_restart}; which ones:
 * {@link PendingRestartProbe}), in one row. Values are converted with the setting's unit
 * (e.g. {@code max_wal_size} in MB → bytes). Settings the server does not have
 * ({@code reserved_connections} before 16, {@code autovacuum_vacuum_max_threshold} before 18) are
 * null, and so are {@code max_slot_wal_keep_size} and {@code autovacuum_vacuum_max_threshold} at -1
 * (unlimited / no cap).
 */
public final class SettingsProbe extends QueryProbe {

    /** Setting name → catalog column. */
    static final Map<String, String> SETTINGS = Map.ofEntries(
            Map.entry("max_connections", "max_connections"),
            Map.entry("superuser_reserved_connections", "superuser_reserved_connections"),
            Map.entry("reserved_connections", "reserved_connections"),
            Map.entry("max_locks_per_transaction", "max_locks_per_transaction"),
            Map.entry("max_prepared_transactions", "max_prepared_transactions"),
            Map.entry("autovacuum", "autovacuum"),
            Map.entry("autovacuum_vacuum_threshold", "autovacuum_vacuum_threshold"),
            Map.entry("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_scale_factor"),
            Map.entry("autovacuum_freeze_max_age", "autovacuum_freeze_max_age"),
            Map.entry("autovacuum_multixact_freeze_max_age", "autovacuum_multixact_freeze_max_age"),
            Map.entry("checkpoint_timeout", "checkpoint_timeout_seconds"),
            Map.entry("max_wal_size", "max_wal_size_bytes"),
            Map.entry("autovacuum_max_workers", "autovacuum_max_workers"),
            Map.entry("max_wal_senders", "max_wal_senders"),
            Map.entry("max_replication_slots", "max_replication_slots"),
            Map.entry("max_slot_wal_keep_size", "max_slot_wal_keep_size_bytes"),
            Map.entry("hot_standby_feedback", "hot_standby_feedback"),
            Map.entry("track_io_timing", "track_io_timing"),
            Map.entry("block_size", "block_size_bytes"),
            Map.entry("autovacuum_vacuum_max_threshold", "autovacuum_vacuum_max_threshold"));

    /** Settings whose -1 means "no limit": sent as null (the column is a non-negative size). */
    static final java.util.Set<String> MINUS_ONE_UNLIMITED = java.util.Set.of("max_slot_wal_keep_size",
            // 18+: -1 turns the cap off.
            "autovacuum_vacuum_max_threshold");

    public SettingsProbe() {
        super("pg_settings", ProbeGroup.SLOW, SqlVariants.single("pg_settings", """
                SELECT s.name, s.setting, s.unit, s.vartype,
                  EXTRACT(EPOCH FROM pg_catalog.pg_postmaster_start_time()) AS server_start_epoch,
                  (SELECT pg_catalog.count(*) FROM pg_catalog.pg_settings p WHERE p.pending_restart) AS pending_restart_settings
                FROM pg_catalog.pg_settings s
                WHERE s.name = ANY (?)"""));
    }

    @Override
    protected List<SnapshotRow> run(java.sql.Connection c, String text, ProbeContext ctx) throws SQLException {
        SnapshotRow row = ResultRows.empty(ResultRows.def("pg_settings"));
        try (PreparedStatement ps = c.prepareStatement(text)) {
            Array names = c.createArrayOf("text", SETTINGS.keySet().toArray());
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString("name");
                    String setting = rs.getString("setting");
                    row.getValues().put(SETTINGS.get(name), MINUS_ONE_UNLIMITED.contains(name) && "-1".equals(setting) ? null
                            : value(setting, rs.getString("unit"), rs.getString("vartype")));
                    row.getValues().put("server_start_epoch", ResultRows.number(rs.getObject("server_start_epoch")));
                    row.getValues().put("pending_restart_settings", ResultRows.number(rs.getObject("pending_restart_settings")));
                }
            }
        }
        return List.of(row);
    }

    /** A setting in base units: bytes for memory/size units, seconds for time units, 1/0 for bool. */
    static Double value(String setting, String unit, String vartype) {
        if (setting == null) {
            return null;
        }
        if ("bool".equals(vartype)) {
            return setting.equals("on") ? 1.0 : 0.0;
        }
        double v = Double.parseDouble(setting);
        if (unit == null) {
            return v;
        }
        String u = unit.toLowerCase(Locale.ROOT);
        double mul = 1;
        String num = u.replaceAll("[^0-9]", "");
        if (!num.isEmpty()) {
            mul = Double.parseDouble(num);
            u = u.replaceAll("[0-9]", "");
        }
        return switch (u) {
            case "b" -> v * mul;
            case "kb" -> v * mul * 1024;
            case "mb" -> v * mul * 1024 * 1024;
            case "gb" -> v * mul * 1024 * 1024 * 1024;
            case "ms" -> v * mul / 1000.0;
            case "s" -> v * mul;
            case "min" -> v * mul * 60;
            case "h" -> v * mul * 3600;
            case "d" -> v * mul * 86400;
            default -> v;
        };
    }
}
