package dev.datainsight.cli.inspect;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/**
 * Printing for people: text from the server made harmless, colour when it is wanted, and the
 * number formats of every {@code inspect} table.
 *
 * <p>Everything a monitored server sends (query texts, application names, role, table and index
 * names) is untrusted: a name may hold an escape sequence that recolours the terminal, rewrites
 * its title or moves the cursor over earlier lines. {@link #safe} turns every control character
 * (C0, DEL, C1) and every bidirectional-override character into visible text such as
 * {@code \x1b} before it reaches the terminal.
 */
public final class Terminal {
    private final PrintWriter out;
    private final boolean colour;

    public Terminal(PrintWriter out, boolean colour) {
        this.out = out;
        this.colour = colour;
    }

    /**
     * Whether to colour: {@code always} / {@code never} as asked; {@code auto} only on a terminal,
     * with {@code NO_COLOR} unset or empty (no-color.org) and {@code TERM} not {@code dumb}.
     */
    public static boolean colourWanted(OutputOptions.ColorMode mode, boolean stdoutIsTerminal, Map<String, String> env) {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> stdoutIsTerminal && env.getOrDefault("NO_COLOR", "").isEmpty()
                    && !"dumb".equals(env.get("TERM"));
        };
    }

    /** Whether this JVM's stdout is a terminal (Java 17: a console exists only when it is). */
    public static boolean stdoutIsTerminal() {
        return System.console() != null;
    }

    public boolean colour() {
        return colour;
    }

    public PrintWriter out() {
        return out;
    }

    public void println(String line) {
        out.println(line);
    }

    public void println() {
        out.println();
    }

    // ------------------------------------------------------------------------------ styles

    /** Bold: headlines. */
    public String bold(String s) {
        return wrap("1", s);
    }

    /** Red: what needs action now (root blockers, above a trigger, almost full). */
    public String red(String s) {
        return wrap("31", s);
    }

    /** Yellow: worth a look. */
    public String yellow(String s) {
        return wrap("33", s);
    }

    /** Dim: secondary detail. */
    public String dim(String s) {
        return wrap("2", s);
    }

    String wrap(String sgr, String s) {
        return colour && !s.isEmpty() ? "\u001b[" + sgr + "m" + s + "\u001b[0m" : s;
    }

    // ------------------------------------------------------------------------------ untrusted text

    /**
     * Untrusted text on one line: tabs and line breaks become spaces, runs of spaces one space,
     * every other control or bidi-override character its escape ({@code \x1b}, {@code \u202e}).
     * Null becomes the empty string.
     */
    public static String safe(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == 0x0b) {
                if (!space && b.length() > 0) {
                    b.append(' ');
                }
                space = true;
                continue;
            }
            space = false;
            if (isUnsafe(cp)) {
                b.append(cp < 0x100 ? String.format(Locale.ROOT, "\\x%02x", cp) : String.format(Locale.ROOT, "\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        }
        int end = b.length();
        while (end > 0 && b.charAt(end - 1) == ' ') {
            end--;
        }
        b.setLength(end);
        return b.toString();
    }

    /** Control characters (C0, DEL, C1), bidi embeddings/overrides/isolates, and the line/paragraph separators. */
    static boolean isUnsafe(int cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)
                || cp == 0x200e || cp == 0x200f || cp == 0x061c || cp == 0x2028 || cp == 0x2029;
    }

    /** {@link #safe} text cut to {@code max} characters, with an ellipsis when cut. */
    public static String safe(String s, int max) {
        String t = safe(s);
        if (t.codePointCount(0, t.length()) <= max) {
            return t;
        }
        return t.substring(0, t.offsetByCodePoints(0, Math.max(0, max - 1))) + "…";
    }

    // ------------------------------------------------------------------------------ numbers

    /** Bytes as PostgreSQL's pg_size_pretty writes them, one decimal: {@code 3.2 GB}, {@code 16 kB}. */
    public static String bytes(long bytes) {
        String[] units = {"bytes", "kB", "MB", "GB", "TB", "PB"};
        double v = bytes;
        int i = 0;
        while (Math.abs(v) >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        if (i == 0) {
            return bytes + " bytes";
        }
        return (v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[i];
    }

    /** Seconds as a short age: {@code 42s}, {@code 4m12s}, {@code 2h03m}, {@code 3d04h}; {@code -} for null. */
    public static String age(Double seconds) {
        if (seconds == null || seconds.isNaN()) {
            return "-";
        }
        long s = Math.max(0, Math.round(seconds));
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, (s % 86400) / 3600);
    }

    /** A count with thousands separators: {@code 12,345}. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Milliseconds, three significant-ish digits: {@code 0.412 ms}, {@code 12.3 ms}, {@code 1,234 ms}. */
    public static String millis(double ms) {
        if (ms < 1) {
            return String.format(Locale.ROOT, "%.3f ms", ms);
        }
        if (ms < 100) {
            return String.format(Locale.ROOT, "%.1f ms", ms);
        }
        return String.format(Locale.ROOT, "%,.0f ms", ms);
    }

    /** A whole percentage: {@code 86%}. */
    public static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }
}
