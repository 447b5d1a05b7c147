package dev.datainsight.rules.engine;

import dev.datainsight.config.DataSize;
import dev.datainsight.config.DurationSyntax;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** Number formatting for alert summaries ("in plain words with the numbers"). */
public final class Fmt {
    private Fmt() {}

    public static String pct(double ratio) {
        return String.format(Locale.ROOT, "%.1f%%", ratio * 100);
    }

    public static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    public static String secs(double s) {
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%.1f h", s / 3600);
        }
        if (s >= 120) {
            return String.format(Locale.ROOT, "%.1f min", s / 60);
        }
        return String.format(Locale.ROOT, "%.0f s", s);
    }

    /** Milliseconds as "150 ms", below 10 ms as "0.12 ms", from a second on as {@link #secs}. */
    public static String ms(double ms) {
        if (ms < 10 && ms != Math.rint(ms)) {
            return String.format(Locale.ROOT, "%.2f ms", ms);
        }
        return ms < 1000 ? String.format(Locale.ROOT, "%.0f ms", ms) : secs(ms / 1000);
    }

    /** A duration in milliseconds, in the configuration syntax: {@code 4h}, {@code 90s}. */
    public static String duration(long ms) {
        return DurationSyntax.format(java.time.Duration.ofMillis(ms));
    }

    public static String bytes(double b) {
        return DataSize.format(b);
    }

    /** Minimal JSON object of string/number pairs for insight evidence. */
    public static String json(Map<String, ?> m) {
        StringJoiner j = new StringJoiner(",", "{", "}");
        for (Map.Entry<String, ?> e : m.entrySet()) {
            Object v = e.getValue();
            String val;
            if (v == null) {
                val = "null";
            } else if (v instanceof Number n) {
                double d = n.doubleValue();
                val = Double.isFinite(d) ? num(d) : "null";
            } else {
                val = '"' + v.toString().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
            }
            j.add('"' + e.getKey() + "\":" + val);
        }
        return j.toString();
    }
}
