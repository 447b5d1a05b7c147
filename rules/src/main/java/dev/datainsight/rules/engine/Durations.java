package dev.datainsight.rules.engine;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints the durations and sizes of the rules file ({@code 90s}, {@code 5m}, {@code 100MB}). */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(-?\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");
    private static final Pattern BYTES = Pattern.compile("(-?\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb)?");

    private Durations() {}

    /**
     * Milliseconds of a duration such as {@code 250ms}, {@code 30s}, {@code 5m}, {@code 4h},
     * {@code 7d}; a bare number is seconds.
     *
     * @throws IllegalArgumentException when the text is not a duration
     */
    public static long parseMillis(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.matches("-?\\d+(\\.\\d+)?")) {
            return Math.round(Double.parseDouble(t) * 1000);
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 30s, 5m, 4h, 7d)");
        }
        double n = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2)) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 86_400_000L;
        };
        return Math.round(n * unit);
    }

    /** Bytes of a size such as {@code 100MB}, {@code 1GB} or a bare number (binary units, 1 MB = 2^20). */
    public static double parseBytes(String text) {
        Matcher m = BYTES.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (use e.g. 100MB, 1GB)");
        }
        double n = Double.parseDouble(m.group(1));
        String u = m.group(2) == null ? "b" : m.group(2);
        return switch (u) {
            case "kb" -> n * 1024;
            case "mb" -> n * 1024 * 1024;
            case "gb" -> n * 1024 * 1024 * 1024;
            case "tb" -> n * 1024 * 1024 * 1024 * 1024;
            default -> n;
        };
    }

    /** Shortest exact text of a duration: {@code 4h}, {@code 90s}, {@code 250ms}. */
    public static String format(long ms) {
        if (ms == 0) {
            return "0s";
        }
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1_000L == 0) {
            return ms / 1_000L + "s";
        }
        return ms + "ms";
    }

    /** Human text of a size: {@code 100MB}, {@code 1GB}, {@code 512B}. */
    public static String formatBytes(double bytes) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        double v = bytes;
        int i = 0;
        while (Math.abs(v) >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + units[i];
    }
}
