package dev.datainsight.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.WireCodec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends dead letters as JSON lines to a file, forcing each write to disk. Failed deliveries are
 * objects with {@code "kind":"failed_delivery"}; unreadable records have
 * {@code "kind":"unreadable_alert"}.
 */
public final class FileDeadLetterSink implements DeadLetterSink {
    private final Path file;
    private final ObjectMapper mapper = WireCodec.mapper();

    public FileDeadLetterSink(Path file) throws IOException {
        this.file = file.toAbsolutePath();
        Path parent = this.file.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    @Override
    public synchronized void write(FailedDelivery failed) throws IOException {
        var node = mapper.valueToTree(failed);
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("kind", "failed_delivery");
        append(mapper.writeValueAsBytes(node));
    }

    @Override
    public synchronized void writeUnreadable(DeadLetterRecord record) throws IOException {
        var node = mapper.valueToTree(record);
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("kind", "unreadable_alert");
        append(mapper.writeValueAsBytes(node));
    }

    private void append(byte[] json) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(false);
        }
    }

    @Override
    public String describe() {
        return "file " + file;
    }
}
