package dev.datainsight.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The structured context of an alert: who, what and why, beside the one-line summary. A rule
 * builds it item by item ({@link #item}), the engine bounds and cleans it ({@link #bound}) before it
 * goes on the event, so every reader (notifiers, the store) gets the same safe, bounded list.
 *
 * <p><b>Bounds</b> (documented in docs/wire-format.md): at most {@value #MAX_ITEMS} items,
 * {@value #MAX_FIELDS} fields per item, values of at most {@value #MAX_VALUE_CHARS} characters,
 * and {@value #MAX_BYTES} bytes in total (UTF-8 of every kind, field name and value). A value
 * that is cut ends with {@value #ELLIPSIS}; items that do not fit are replaced by one last item of
 * kind {@value #KIND_TRUNCATED} whose field {@code omitted_items} says how many were left out.
 *
 * <p><b>Untrusted text.</b> Values come from the monitored servers (query texts, application
 * names, client addresses): control and format characters (newlines, escapes, bidi overrides,
 * zero-width characters) become one space, runs of white space one space, and anything that looks
 * like a credential ({@code password=...}, {@code PASSWORD '...'}, the password of a URI) is
 * replaced by {@value #REDACTED}. Field names are reduced to {@code [a-z0-9_]}.
 */
public final class AlertContext {
    public static final int MAX_ITEMS = 10;
    public static final int MAX_FIELDS = 12;
    public static final int MAX_VALUE_CHARS = 200;
    public static final int MAX_NAME_CHARS = 40;
    public static final int MAX_BYTES = 4096;
    public static final String ELLIPSIS = "…";
    public static final String REDACTED = "***";

    public static final String KIND_SESSION = "session";
    public static final String KIND_STATEMENT = "statement";
    public static final String KIND_TABLE = "table";
    public static final String KIND_SETTING = "setting";
    /** The marker item that replaces the items over the bounds. */
    public static final String KIND_TRUNCATED = "truncated";

    /** Room kept for the marker item when the byte bound is reached. */
    private static final int MARKER_BYTES = 64;

    private static final Pattern KEY_VALUE_SECRET = Pattern.compile(
            "(?i)\\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\\b(\\s*[=:]\\s*)('[^']*'|\"[^\"]*\"|[^\\s,;&)]+)");
    private static final Pattern PASSWORD_LITERAL = Pattern.compile("(?i)\\b(password)(\\s+)('[^']*'|\\$\\$.*?\\$\\$)");
    private static final Pattern URI_PASSWORD = Pattern.compile("(?i)([a-z][a-z0-9+.-]*://[^:/@\\s]*):[^@/\\s]*@");

    private final List<AlertContextItem> items = new ArrayList<>();

    public AlertContext() {}

    public static AlertContext create() {
        return new AlertContext();
    }

    /** Starts a new item of {@code kind}; add its fields with {@link AlertContextItem#put}. */
    public AlertContextItem item(String kind) {
        AlertContextItem i = new AlertContextItem(kind);
        items.add(i);
        return i;
    }

    /** The raw items as built (not yet bounded). */
    public List<AlertContextItem> items() {
        return Collections.unmodifiableList(items);
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** The bounded, cleaned copy of the items that goes on the event. */
    public List<AlertContextItem> bounded() {
        return bound(items);
    }

    /**
     * A bounded, cleaned copy of {@code in} (see the class comment). Idempotent: bounding a
     * bounded list returns an equal list. Null gives an empty list.
     */
    public static List<AlertContextItem> bound(List<AlertContextItem> in) {
        List<AlertContextItem> out = new ArrayList<>();
        if (in == null || in.isEmpty()) {
            return out;
        }
        int bytes = 0;
        int omitted = 0;
        int real = 0; // non-marker items in the input
        for (AlertContextItem raw : in) {
            if (raw != null && !KIND_TRUNCATED.equals(raw.getKind())) {
                real++;
            }
        }
        int seen = 0;
        for (AlertContextItem raw : in) {
            if (raw == null) {
                continue;
            }
            if (KIND_TRUNCATED.equals(raw.getKind())) {
                // A marker from an earlier bounding: its count adds to ours.
                omitted += parseCount(raw.get("omitted_items"));
                continue;
            }
            seen++;
            if (omitted > 0) {
                omitted++;
                continue;
            }
            AlertContextItem c = clean(raw);
            int size = size(c);
            boolean more = seen < real;
            // The last slot is the marker's when more items follow.
            int slots = more ? MAX_ITEMS - 1 : MAX_ITEMS;
            if (out.size() >= slots) {
                omitted++;
                continue;
            }
            if (bytes + size + MARKER_BYTES > MAX_BYTES) {
                // Keep the fields that still fit (in order), then stop: later items are omitted.
                c = prefix(c, MAX_BYTES - MARKER_BYTES - bytes);
                if (c == null) {
                    omitted++;
                    continue;
                }
                size = size(c);
            }
            out.add(c);
            bytes += size;
        }
        if (omitted > 0) {
            AlertContextItem marker = new AlertContextItem(KIND_TRUNCATED);
            marker.put("omitted_items", Integer.toString(omitted));
            out.add(marker);
        }
        return out;
    }

    private static int parseCount(String s) {
        try {
            return s == null ? 0 : Math.max(0, Integer.parseInt(s));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static AlertContextItem clean(AlertContextItem raw) {
        String kind = name(raw.getKind());
        AlertContextItem c = new AlertContextItem(kind.isEmpty() ? "item" : kind);
        List<String> names = raw.getNames();
        List<String> values = raw.getValues();
        for (int i = 0; i < names.size() && i < values.size() && c.getNames().size() < MAX_FIELDS; i++) {
            String n = name(names.get(i));
            if (n.isEmpty() || values.get(i) == null) {
                continue;
            }
            c.put(n, text(values.get(i), MAX_VALUE_CHARS));
        }
        return c;
    }

    /** The item with as many leading fields as fit in {@code budget} bytes, plus an {@code omitted_fields} count; null if none fits. */
    private static AlertContextItem prefix(AlertContextItem c, int budget) {
        String note = "omitted_fields";
        int room = budget - utf8(c.getKind()) - note.length() - 4;
        AlertContextItem p = new AlertContextItem(c.getKind());
        int used = 0;
        for (int i = 0; i < c.getNames().size(); i++) {
            int f = utf8(c.getNames().get(i)) + utf8(c.getValues().get(i));
            if (used + f > room) {
                break;
            }
            p.put(c.getNames().get(i), c.getValues().get(i));
            used += f;
        }
        if (p.getNames().isEmpty()) {
            return null;
        }
        p.put(note, Integer.toString(c.getNames().size() - p.getNames().size()));
        return p;
    }

    private static int size(AlertContextItem c) {
        int n = utf8(c.getKind());
        for (int i = 0; i < c.getNames().size(); i++) {
            n += utf8(c.getNames().get(i)) + utf8(c.getValues().get(i));
        }
        return n;
    }

    private static int utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A field or kind name: lower case {@code [a-z0-9_]}, at most {@value #MAX_NAME_CHARS} characters. */
    static String name(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_NAME_CHARS));
        String l = s.toLowerCase(Locale.ROOT);
        for (int i = 0; i < l.length() && sb.length() < MAX_NAME_CHARS; i++) {
            char ch = l.charAt(i);
            sb.append((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? ch : '_');
        }
        return sb.toString();
    }

    /**
     * Untrusted text made safe for one line: control and format characters to spaces, white space
     * collapsed, credentials redacted, cut to {@code maxChars} (code points) ending with
     * {@value #ELLIPSIS} when cut. Null gives "".
     */
    public static String text(String s, int maxChars) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), maxChars * 2 + 8));
        boolean space = false;
        int limit = maxChars * 4 + 64; // enough input for maxChars output even after redaction
        for (int i = 0; i < s.length() && sb.length() < limit; ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            boolean blank = Character.isWhitespace(cp) || Character.isSpaceChar(cp) || type == Character.CONTROL
                    || type == Character.FORMAT || type == Character.UNASSIGNED || type == Character.SURROGATE
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
            if (blank) {
                space = sb.length() > 0;
                continue;
            }
            if (space) {
                sb.append(' ');
                space = false;
            }
            sb.appendCodePoint(cp);
        }
        String r = redact(sb.toString());
        if (r.codePointCount(0, r.length()) <= maxChars) {
            return r;
        }
        int end = r.offsetByCodePoints(0, Math.max(0, maxChars - ELLIPSIS.length()));
        return r.substring(0, end).stripTrailing() + ELLIPSIS;
    }

    /** Replaces credentials that may appear in query texts or connection strings. */
    public static String redact(String s) {
        if (s == null || s.isEmpty()) {
            return s;
        }
        String r = URI_PASSWORD.matcher(s).replaceAll("$1:" + REDACTED + "@");
        r = KEY_VALUE_SECRET.matcher(r).replaceAll("$1$2" + REDACTED);
        r = PASSWORD_LITERAL.matcher(r).replaceAll("$1$2" + REDACTED);
        return r;
    }
}
