package dev.datainsight.notify;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints each event as one human-readable line, e.g. for a terminal or a log collector. An event
 * already printed (same {@link Notifier#dedupKey}: a replay after a job restart, a redelivery after
 * a consumer restart) is dropped; the last {@link SeenEvents#DEFAULT_CAPACITY} keys are remembered.
 *
 * <p>A firing event's context follows its line, one indented line per item (at most
 * {@link AlertContext#MAX_ITEMS}, each cut to {@link #CONTEXT_LINE_CHARS} characters):
 * <pre>    statement queryid=42 datname=app mean=3.2 s text="SELECT * FROM logs WHERE id = $1"</pre>
 * Every text printed (summary, labels, context) is cleaned of control characters first
 * ({@link AlertContext#text}), so a query text cannot forge lines or terminal escapes.
 */
public final class StdoutNotifier implements Notifier {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);
    /** Bound of one context line. */
    public static final int CONTEXT_LINE_CHARS = 300;
    /** Bound of the summary on the line. */
    public static final int SUMMARY_CHARS = 500;
    private static final String INDENT = "    ";

    private final PrintStream out;
    private final SeenEvents seen;

    public StdoutNotifier(PrintStream out) {
        this(out, new SeenEvents(SeenEvents.DEFAULT_CAPACITY));
    }

    public StdoutNotifier(PrintStream out, SeenEvents seen) {
        this.out = out;
        this.seen = seen;
    }

    /** Events dropped because they were already printed. */
    public long duplicatesDropped() {
        return seen.dropped();
    }

    @Override
    public String name() {
        return "stdout";
    }

    @Override
    public void deliver(AlertEvent e) {
        if (!seen.firstTime(e)) {
            return;
        }
        out.println(format(e));
        if (e.getStatus() != AlertStatus.RESOLVED) {
            for (String line : contextLines(e)) {
                out.println(line);
            }
        }
        out.flush();
    }

    /**
     * One line: time, status, severity, rule, instance, labels, value vs threshold, summary.
     * <pre>2026-11-22 02:01:07Z FIRING   critical lock_contention     pg-demo {datname=app} value=4 threshold=3 — 4 sessions wait ...</pre>
     */
    public static String format(AlertEvent e) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(TIME.format(Instant.ofEpochMilli(e.getEventAt()))).append(' ');
        String status = e.getStatus() == null ? "?" : e.getStatus().name();
        sb.append(String.format(Locale.ROOT, "%-8s %-8s %-22s ", status,
                e.getSeverity() == null ? "?" : e.getSeverity().wire(), e.getRule()));
        sb.append(e.getInstance());
        Map<String, String> labels = e.getLabels();
        if (labels != null && !labels.isEmpty()) {
            sb.append(' ').append(AlertContext.text(labels.toString().replace(", ", ","), SUMMARY_CHARS));
        }
        if (e.getValue() != null) {
            sb.append(" value=").append(number(e.getValue()));
        }
        if (e.getThreshold() != null) {
            sb.append(" threshold=").append(number(e.getThreshold()));
        }
        if (e.getStatus() == AlertStatus.RESOLVED && e.getResolvedAt() != null) {
            long secs = Math.max(0, (e.getResolvedAt() - e.getStartedAt()) / 1000);
            sb.append(" after ").append(duration(secs));
        }
        if (e.getSummary() != null && !e.getSummary().isBlank()) {
            sb.append(" — ").append(AlertContext.text(e.getSummary(), SUMMARY_CHARS));
        }
        return sb.toString();
    }

    /**
     * The context of an event as indented lines, one per item: kind, then {@code name=value}
     * fields (values with spaces or quotes in double quotes). Empty without context.
     */
    public static List<String> contextLines(AlertEvent e) {
        List<String> lines = new java.util.ArrayList<>();
        for (AlertContextItem item : AlertContext.bound(e.getContext())) {
            StringBuilder sb = new StringBuilder(INDENT).append(item.getKind());
            for (int i = 0; i < item.getNames().size(); i++) {
                sb.append(' ').append(item.getNames().get(i)).append('=').append(quoted(item.getValues().get(i)));
            }
            lines.add(sb.length() <= CONTEXT_LINE_CHARS ? sb.toString()
                    : sb.substring(0, CONTEXT_LINE_CHARS - 1) + AlertContext.ELLIPSIS);
        }
        return lines;
    }

    private static String quoted(String v) {
        if (v == null) {
            return "";
        }
        if (!v.isEmpty() && v.indexOf(' ') < 0 && v.indexOf('"') < 0 && v.indexOf('=') < 0) {
            return v;
        }
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** 4, 0.8, 9.67, 1319: integers as such, large values rounded, small ones to 3 significant digits, never 1.3e+03. */
    static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return Double.toString(d);
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        if (Math.abs(d) >= 100) {
            return Long.toString(Math.round(d));
        }
        return new java.math.BigDecimal(d).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    static String duration(long secs) {
        if (secs < 60) {
            return secs + "s";
        }
        if (secs < 3600) {
            return (secs / 60) + "m" + (secs % 60 == 0 ? "" : (secs % 60) + "s");
        }
        return (secs / 3600) + "h" + ((secs % 3600) / 60) + "m";
    }
}
