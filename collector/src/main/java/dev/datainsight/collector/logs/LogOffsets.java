package dev.datainsight.collector.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read position of every instance's log, kept in a small JSON file so a restarted collector
 * goes on where the last one stopped. A position is stored only once Kafka acknowledged every
 * batch before it. Each change rewrites the file whole: written to a temporary file beside it,
 * forced to disk, then renamed over the old one, so a crash leaves either the old or the new
 * file, never a torn one.
 *
 * <pre>{"version":1,"instances":{"pg1":{"file":"postgresql-2026-12-04.log","offset":5120,"format":"stderr"}}}</pre>
 */
public final class LogOffsets {
    private static final Logger LOG = LoggerFactory.getLogger(LogOffsets.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where an instance's log is read next: the first byte not yet published of {@code file}. */
    public record Position(String file, long offset, String format) {}

    private final Path path;
    private final Map<String, Position> positions = new TreeMap<>();
    private long lastFailureLog;

    /** Reads the file if it exists; an unreadable file is an error (offsets are never silently reset). */
    public LogOffsets(Path path) {
        this.path = path.toAbsolutePath();
        if (Files.exists(this.path)) {
            try {
                JsonNode root = JSON.readTree(this.path.toFile());
                JsonNode inst = root.path("instances");
                for (Iterator<Map.Entry<String, JsonNode>> it = inst.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode p = e.getValue();
                    positions.put(e.getKey(), new Position(p.path("file").asText(), p.path("offset").asLong(),
                            p.path("format").asText()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the log offsets file " + this.path
                        + " (fix or remove it: removing it reads each instance's newest log file from its start)", e);
            }
        }
    }

    public Path path() {
        return path;
    }

    /** The stored position of an instance, or null. */
    public synchronized Position get(String instance) {
        return positions.get(instance);
    }

    /** Stores a position and rewrites the file; a write failure is logged (the next commit retries). */
    public synchronized void commit(String instance, Position p) {
        if (p.equals(positions.get(instance))) {
            return;
        }
        positions.put(instance, p);
        try {
            write();
        } catch (IOException e) {
            long now = System.currentTimeMillis();
            if (now - lastFailureLog > 60_000) {
                lastFailureLog = now;
                LOG.error("cannot write the log offsets file {}: {} (a restart would read the last entries again)", path,
                        e.toString());
            }
        }
    }

    private void write() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ObjectNode inst = root.putObject("instances");
        positions.forEach((k, v) -> inst.putObject(k).put("file", v.file()).put("offset", v.offset()).put("format", v.format()));
        Path dir = path.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(path.getFileName() + ".tmp");
        byte[] bytes = JSON.writeValueAsBytes(root);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
