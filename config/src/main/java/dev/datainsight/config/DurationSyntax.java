package dev.datainsight.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration syntax of every DataInsight file and command-line option: {@code 250ms},
 * {@code 30s}, {@code 1.5m}, {@code 4h}, {@code 7d}, ISO-8601 ({@code PT30S}); a bare number is
 * seconds. Durations are never negative. Results are whole milliseconds (rounded).
 */
public final class DurationSyntax {
    /** What a duration looks like, for error hints and help texts. */
    public static final String HINT = "a duration such as 250ms, 30s, 1.5m, 4h, 7d or PT30S; a bare number is seconds";

    private static final Pattern TEXT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");

    private DurationSyntax() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException naming the text and the expected syntax
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected " + HINT + ", got an empty value");
        }
        String t = text.trim();
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("a duration must not be negative, got '" + text + "'");
        }
        if (t.startsWith("P") || t.startsWith("p")) {
            try {
                Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
                if (d.isNegative()) {
                    throw new IllegalArgumentException("a duration must not be negative, got '" + text + "'");
                }
                return d;
            } catch (DateTimeParseException e) {
                throw notADuration(text);
            }
        }
        Matcher m = TEXT.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw notADuration(text);
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double ms = n * switch (unit) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 86_400_000L;
        };
        if (ms > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        return Duration.ofMillis(Math.round(ms));
    }

    /** A bare YAML number: seconds, possibly fractional. */
    public static Duration ofSeconds(double seconds) {
        if (seconds < 0 || !Double.isFinite(seconds)) {
            throw new IllegalArgumentException("a duration must not be negative, got " + seconds);
        }
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    /** Shortest exact text of a duration in this syntax: {@code 4h}, {@code 90s}, {@code 250ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
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

    private static IllegalArgumentException notADuration(String text) {
        return new IllegalArgumentException("'" + text + "' is not a duration (expected " + HINT + ")");
    }
}
