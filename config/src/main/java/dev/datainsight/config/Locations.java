package dev.datainsight.config;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where each key of a document was written: key path ({@code instances[0].url}) to line and
 * column, plus values that came from the command line instead of the file.
 */
public final class Locations {
    private record Where(String source, int line, int column) {}

    private final String file;
    private final Path baseDir;
    private final Map<String, Where> byPath = new HashMap<>();

    public Locations(String file, Path baseDir) {
        this.file = file;
        this.baseDir = baseDir;
    }

    /** The file name used in problems. */
    public String file() {
        return file;
    }

    /** Directory relative paths in this file resolve against (null: the working directory). */
    public Path baseDir() {
        return baseDir;
    }

    void put(String path, int line, int column) {
        byPath.putIfAbsent(path, new Where(file, line, column));
    }

    boolean has(String path) {
        return byPath.containsKey(path);
    }

    /** Marks a value set on the command line ({@code --set path=value}). */
    public void putOverride(String path, String source) {
        byPath.put(path, new Where(source, 0, 0));
    }

    /** Whether the value at this path came from the command line. */
    public boolean isOverride(String path) {
        Where w = byPath.get(path);
        return w != null && w.line == 0 && !w.source.equals(file);
    }

    /** Makes {@code to} (and everything below it) answer with the locations of {@code from}. */
    public void alias(String from, String to) {
        Map<String, Where> add = new HashMap<>();
        byPath.forEach((k, v) -> {
            if (k.equals(from) || k.startsWith(from + ".") || k.startsWith(from + "[")) {
                add.put(to + k.substring(from.length()), v);
            }
        });
        add.forEach(byPath::putIfAbsent);
    }

    /** Resolves a path named in this file against the file's directory. */
    public Path resolve(String path, boolean fromCommandLine) {
        Path p = Path.of(path);
        return p.isAbsolute() || baseDir == null || fromCommandLine ? p : baseDir.resolve(p).normalize();
    }

    Problem problem(String path, String message, String hint) {
        String p = path;
        while (true) {
            Where w = byPath.get(p);
            if (w != null) {
                return new Problem(w.source, w.line, w.column, path, message, hint);
            }
            if (p.isEmpty()) {
                return new Problem(file, 0, 0, path, message, hint);
            }
            p = parent(p);
        }
    }

    static String parent(String path) {
        int dot = path.lastIndexOf('.');
        int br = path.lastIndexOf('[');
        int cut = Math.max(dot, br);
        return cut <= 0 ? "" : path.substring(0, cut);
    }
}
