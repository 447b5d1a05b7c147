package dev.datainsight.collector.logs;

import dev.datainsight.model.LogBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Co-located: the server's log directory on the collector's host, read directly (never written). */
final class LocalLogSource implements LogSource {
    private final Path dir;

    LocalLogSource(Path dir) {
        this.dir = dir;
    }

    @Override
    public List<LogFile> list() throws IOException {
        List<LogFile> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        out.add(new LogFile(p.getFileName().toString(), a.size(), a.lastModifiedTime().toMillis(), a.fileKey()));
                    }
                } catch (NoSuchFileException e) {
                    // removed while listing
                }
            }
        }
        return out;
    }

    @Override
    public byte[] read(String name, long offset, int length) throws IOException {
        Path p = dir.resolve(name);
        if (!p.getParent().equals(dir)) {
            throw new IllegalArgumentException("not a file name: " + name);
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.max(0, Math.min(length, ch.size() - offset)));
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break;
                }
            }
            return buf.position() == buf.capacity() ? buf.array() : Arrays.copyOf(buf.array(), buf.position());
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }

    @Override
    public String kind() {
        return LogBatch.SOURCE_LOCAL;
    }
}
