package dev.datainsight.cli.demo;

import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/** Checks made before the demo starts anything, each failing with a message a person can act on. */
public final class Preflight {
    private Preflight() {}

    /** Java 17 or newer (the launcher checks too; this covers {@code java -cp ...} use). */
    public static void javaVersion() {
        int v = Runtime.version().feature();
        if (v < 17) {
            throw new DemoException("Java " + v + " is too old: DataInsight needs Java 17 or newer (set JAVA_HOME)");
        }
    }

    /** Enough free space where the demo writes. */
    public static void diskSpace(Path dir, long needed) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < needed) {
            throw new DemoException(String.format("not enough disk space in %s: %d MB free, the demo needs about %d MB"
                    + " (free some space or pass --data-dir on another disk)", dir, free >> 20, needed >> 20));
        }
    }

    /** A fixed port the user asked for must be free (0 = any free port, nothing to check). */
    public static void portFree(String what, int port, String option) {
        if (port != 0 && FreePorts.isTaken(port)) {
            throw new DemoException(what + " port " + port + " on 127.0.0.1 is already in use: stop what uses it or choose"
                    + " another with " + option + " (0 = any free port)");
        }
    }

    /**
     * The server of {@code --target}: reachable, version 13 or newer, and the role can read the
     * statistics (member of pg_monitor, or superuser).
     */
    public static FleetConfig.Instance target(String url, Duration interval) {
        FleetConfig.Instance inst;
        try {
            inst = FleetConfig.Instance.builder("target").url(url).labels(java.util.Map.of("env", "demo-target"))
                    .intervals(interval, interval.multipliedBy(2)).build();
        } catch (IllegalArgumentException e) {
            throw new DemoException("--target " + redact(url) + ": " + e.getMessage());
        }
        Properties p = new Properties();
        if (inst.user() != null) {
            p.setProperty("user", inst.user());
        }
        if (inst.password() != null) {
            p.setProperty("password", inst.password());
        }
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "10");
        p.setProperty("ApplicationName", "datainsight-demo-preflight");
        try (Connection c = DriverManager.getConnection(inst.jdbcUrl(), p); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int, current_user,"
                        + " pg_catalog.pg_has_role(current_user, 'pg_monitor', 'MEMBER')"
                        + " OR (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)")) {
            rs.next();
            int version = rs.getInt(1);
            String role = rs.getString(2);
            if (version < 130000) {
                throw new DemoException("--target " + redact(url) + " runs PostgreSQL " + version / 10000
                        + "; DataInsight supports 13 to 18");
            }
            if (!rs.getBoolean(3)) {
                throw new DemoException("--target: role " + role + " lacks pg_monitor, so it cannot read other sessions'"
                        + " activity and the statistics views. As a superuser run: GRANT pg_monitor TO " + role + ";");
            }
        } catch (SQLException e) {
            throw new DemoException("--target " + redact(url) + " is unreachable: " + e.getMessage());
        }
        return inst;
    }

    /** The URL without its password, for messages. */
    static String redact(String url) {
        return url.replaceAll("(://[^:/@]+:)[^@]*@", "$1***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
