package dev.datainsight.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, in the one size syntax of every DataInsight file and option: {@code 512B},
 * {@code 64KB}, {@code 100MB}, {@code 1.5GB}, {@code 2TB} with binary units (1 KB = 1024 B;
 * {@code KiB}, {@code MiB}, ... are accepted as synonyms); a bare number is bytes. Never negative.
 *
 * @param bytes the size
 */
public record DataSize(long bytes) implements java.io.Serializable {
    /** What a size looks like, for error hints and help texts. */
    public static final String HINT = "a size such as 512B, 64KB, 100MB or 1GB, binary units; a bare number is bytes";

    private static final Pattern TEXT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?");

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size must not be negative, got " + bytes);
        }
    }

    /**
     * Parses a size.
     *
     * @throws IllegalArgumentException naming the text and the expected syntax
     */
    public static DataSize parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected " + HINT + ", got an empty value");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("a size must not be negative, got '" + text + "'");
        }
        Matcher m = TEXT.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (expected " + HINT + ")");
        }
        double n = Double.parseDouble(m.group(1));
        String u = m.group(2) == null ? "b" : m.group(2).replace("i", "");
        double b = switch (u) {
            case "kb" -> n * 1024;
            case "mb" -> n * 1024 * 1024;
            case "gb" -> n * 1024 * 1024 * 1024;
            case "tb" -> n * 1024 * 1024 * 1024 * 1024;
            default -> n;
        };
        if (b > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
        return new DataSize(Math.round(b));
    }

    /** A bare YAML number: bytes. */
    public static DataSize ofBytes(double bytes) {
        if (bytes < 0 || !Double.isFinite(bytes)) {
            throw new IllegalArgumentException("a size must not be negative, got " + bytes);
        }
        return new DataSize(Math.round(bytes));
    }

    /** Human text in this syntax: {@code 100MB}, {@code 1GB}, {@code 1.5KB}, {@code 512B}. */
    public static String format(double bytes) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        double v = bytes;
        int i = 0;
        while (Math.abs(v) >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + units[i];
    }

    @Override
    public String toString() {
        return format(bytes);
    }
}
