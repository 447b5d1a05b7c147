package dev.datainsight.store;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.postgresql.PGConnection;

/**
 * One partition on disk: {@code <dir>/<partition>/data.pgcopy.gz} (PostgreSQL's binary COPY
 * format, gzip) and {@code manifest.properties} (table, range, columns, row count, SHA-256 of the
 * data file). The manifest is written last, by rename, so a directory with a manifest is a
 * complete archive. Binary COPY keeps every value exact (doubles, timestamps, jsonb) and loads
 * back without parsing; it ties the archive to the column types, which the manifest records and
 * a restore checks.
 *
 * <p>A filesystem path only; object storage is the next step (docs/operations.md): upload the
 * directory after {@link #verify} and download it before a restore.
 */
public final class PartitionArchive {
    static final String DATA = "data.pgcopy.gz";
    static final String MANIFEST = "manifest.properties";
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};

    private PartitionArchive() {}

    /**
     * What an archive holds.
     *
     * @param table parent table
     * @param partition partition name at export time
     * @param from first instant of the range (inclusive, UTC midnight)
     * @param to end of the range (exclusive)
     * @param columns "name type" per column, in order
     * @param rows number of rows
     * @param sha256 hex SHA-256 of the data file
     */
    public record Manifest(String table, String partition, LocalDate from, LocalDate to, List<String> columns, long rows,
            String sha256) {}

    /**
     * Exports a table (a detached partition) to {@code <root>/<partition>/}, then verifies the
     * files: the row count read back from the file must equal the table's.
     *
     * @return the directory of the archive
     */
    public static Path export(Connection c, String parent, String partition, LocalDate from, LocalDate to, Path root)
            throws SQLException, IOException {
        Path dir = root.resolve(partition);
        Files.createDirectories(dir);
        long expected;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + q(partition))) {
            rs.next();
            expected = rs.getLong(1);
        }
        MessageDigest sha = sha256();
        Path tmp = dir.resolve(DATA + ".tmp");
        long copied;
        try (OutputStream file = Files.newOutputStream(tmp);
                GZIPOutputStream gz = new GZIPOutputStream(new DigestOutputStream(new BufferedOutputStream(file), sha), 1 << 16)) {
            copied = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + q(partition) + " TO STDOUT (FORMAT binary)", gz);
        }
        if (copied != expected) {
            throw new IOException("exported " + copied + " rows of " + partition + ", the table holds " + expected);
        }
        Files.move(tmp, dir.resolve(DATA), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Manifest m = new Manifest(parent, partition, from, to, columns(c, partition), copied, HexFormat.of().formatHex(sha.digest()));
        writeManifest(dir, m);
        verify(dir);
        return dir;
    }

    /** Reads the manifest, recomputes the data file's SHA-256 and counts its rows; throws on any mismatch. */
    public static Manifest verify(Path dir) throws IOException {
        Manifest m = readManifest(dir);
        MessageDigest sha = sha256();
        long rows;
        try (InputStream in = new GZIPInputStream(new DigestInputStream(new BufferedInputStream(Files.newInputStream(dir.resolve(DATA))), sha), 1 << 16)) {
            rows = countBinaryCopyRows(in);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(m.sha256())) {
            throw new IOException(dir.resolve(DATA) + ": SHA-256 " + actual + " does not match the manifest's " + m.sha256());
        }
        if (rows != m.rows()) {
            throw new IOException(dir.resolve(DATA) + ": " + rows + " rows, the manifest says " + m.rows());
        }
        return m;
    }

    /**
     * Loads an archive back into a new table {@code target} (created like the parent) and
     * attaches it to the parent as the partition of the archived range. The caller's connection
     * must act as the tables' owner; it is left in auto-commit.
     */
    public static long restore(Connection c, Path dir, String target) throws SQLException, IOException {
        Manifest m = verify(dir);
        List<String> now = columns(c, m.table());
        if (!now.equals(m.columns())) {
            throw new SQLException("archive " + dir + " has columns " + m.columns() + " but " + m.table() + " now has " + now
                    + "; restore it into a table of the old shape by hand");
        }
        String bounds = " FOR VALUES FROM ('" + m.from() + " 00:00:00+00') TO ('" + m.to() + " 00:00:00+00')";
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + q(target) + " (LIKE " + q(m.table()) + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
            long loaded;
            try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(dir.resolve(DATA))), 1 << 16)) {
                loaded = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + q(target) + " FROM STDIN (FORMAT binary)", in);
            }
            if (loaded != m.rows()) {
                throw new SQLException("loaded " + loaded + " rows from " + dir + ", the manifest says " + m.rows());
            }
            // Same locking as maintenance: writers are held off only for the attach itself.
            st.execute("SET LOCAL lock_timeout = '5s'");
            st.execute("LOCK TABLE " + q(m.table()) + " IN SHARE ROW EXCLUSIVE MODE");
            st.execute("ALTER TABLE " + q(m.table()) + " ATTACH PARTITION " + q(target) + bounds);
            c.commit();
            return loaded;
        } catch (SQLException | IOException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    static List<String> columns(Connection c, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)"
                + " FROM pg_catalog.pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped"
                + " ORDER BY a.attnum")) {
            ps.setString(1, q(table));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + " " + rs.getString(2));
                }
            }
        }
        return out;
    }

    /** Counts the tuples of a binary COPY stream, checking its framing (header, field lengths, trailer). */
    static long countBinaryCopyRows(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        byte[] sig = new byte[SIGNATURE.length];
        in.readFully(sig);
        if (!Arrays.equals(sig, SIGNATURE)) {
            throw new IOException("not a PostgreSQL binary COPY file");
        }
        in.readInt(); // flags
        in.skipNBytes(in.readInt()); // header extension
        long rows = 0;
        while (true) {
            short fields;
            try {
                fields = in.readShort();
            } catch (EOFException e) {
                throw new IOException("binary COPY data ends without its trailer after " + rows + " rows", e);
            }
            if (fields == -1) {
                if (in.read() != -1) {
                    throw new IOException("data after the binary COPY trailer");
                }
                return rows;
            }
            for (int i = 0; i < fields; i++) {
                int len = in.readInt();
                if (len > 0) {
                    in.skipNBytes(len);
                }
            }
            rows++;
        }
    }

    private static void writeManifest(Path dir, Manifest m) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", "pgcopy-binary+gzip");
        p.setProperty("table", m.table());
        p.setProperty("partition", m.partition());
        p.setProperty("from", m.from().toString());
        p.setProperty("to", m.to().toString());
        p.setProperty("columns", String.join(", ", m.columns()));
        p.setProperty("rows", Long.toString(m.rows()));
        p.setProperty("sha256", m.sha256());
        p.setProperty("file", DATA);
        p.setProperty("exported_at", Instant.now().toString());
        Path tmp = dir.resolve(MANIFEST + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "DataInsight partition archive; restore with ./datainsight restore-archive");
        }
        Files.move(tmp, dir.resolve(MANIFEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static Manifest readManifest(Path dir) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(MANIFEST), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        try {
            return new Manifest(req(p, "table"), req(p, "partition"), LocalDate.parse(req(p, "from")), LocalDate.parse(req(p, "to")),
                    List.of(req(p, "columns").split(", ")), Long.parseLong(req(p, "rows")), req(p, "sha256"));
        } catch (RuntimeException e) {
            throw new IOException(dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
    }

    private static String req(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return v;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String q(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }
}
