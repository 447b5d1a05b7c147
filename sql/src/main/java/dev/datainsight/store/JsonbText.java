package dev.datainsight.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Minimal JSON for string maps (labels), in the text form jsonb prints: equal maps give equal text. */
final class JsonbText {
    private JsonbText() {}

    /**
     * The text PostgreSQL prints for this map as jsonb: keys ordered by their UTF-8 length,
     * then bytes; {@code ": "} and {@code ", "} as separators; control characters escaped
     * the way the server escapes them. Any JSON would do as input; this form lets the writer
     * recognise the labels an {@code INSERT ... RETURNING labels::text} gives back.
     */
    static String of(Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return "{}";
        }
        List<Map.Entry<String, String>> entries = new ArrayList<>(map.entrySet());
        entries.sort((x, y) -> compareJsonbKeys(x.getKey(), y.getKey()));
        StringBuilder sb = new StringBuilder(16 * entries.size());
        sb.append('{');
        for (Map.Entry<String, String> e : entries) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            str(sb, e.getKey());
            sb.append(": ");
            if (e.getValue() == null) {
                sb.append("null");
            } else {
                str(sb, e.getValue());
            }
        }
        return sb.append('}').toString();
    }

    private static int compareJsonbKeys(String a, String b) {
        if (ascii(a) && ascii(b)) {
            // One byte per char: UTF-8 length and byte order are the String's own.
            return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
        }
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        if (x.length != y.length) {
            return Integer.compare(x.length, y.length);
        }
        return Arrays.compareUnsigned(x, y);
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static void str(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
