package dev.datainsight.logs;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parses the timestamps PostgreSQL writes: {@code 2026-12-03 10:00:00.123 UTC} (%m, csvlog,
 * jsonlog), {@code 2026-12-03 10:00:00 CET} (%t, %s) and {@code 1764756000.123} (%n). The zone is
 * log_timezone's abbreviation (or a numeric offset such as {@code +03} when it has none).
 */
final class Timestamps {
    private static final Map<String, ZoneId> ZONES = new ConcurrentHashMap<>();
    private static final ZoneId UNKNOWN = ZoneOffset.ofHours(18);

    private Timestamps() {}

    /** The instant, or null when the text is not a timestamp or its zone is unknown. */
    static Instant parse(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            if (s.length() >= 19 && s.charAt(4) == '-' && s.charAt(10) == ' ') {
                int year = num(s, 0, 4);
                int month = num(s, 5, 7);
                int day = num(s, 8, 10);
                int hour = num(s, 11, 13);
                int min = num(s, 14, 16);
                int sec = num(s, 17, 19);
                int nanos = 0;
                int i = 19;
                if (i < s.length() && s.charAt(i) == '.') {
                    int j = i + 1;
                    while (j < s.length() && Character.isDigit(s.charAt(j))) {
                        j++;
                    }
                    String frac = (s.substring(i + 1, j) + "000000000").substring(0, 9);
                    nanos = Integer.parseInt(frac);
                    i = j;
                }
                ZoneId zone = ZoneOffset.UTC;
                if (i < s.length()) {
                    zone = zone(s.substring(i).trim());
                    if (zone == UNKNOWN) {
                        return null;
                    }
                }
                return LocalDateTime.of(year, month, day, hour, min, sec, nanos).atZone(zone).toInstant();
            }
            int dot = s.indexOf('.');
            if (dot > 0 && s.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
                long secs = Long.parseLong(s.substring(0, dot));
                String frac = (s.substring(dot + 1) + "000000000").substring(0, 9);
                return Instant.ofEpochSecond(secs, Long.parseLong(frac));
            }
        } catch (NumberFormatException | DateTimeException | StringIndexOutOfBoundsException e) {
            return null;
        }
        return null;
    }

    private static int num(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new NumberFormatException(s);
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static ZoneId zone(String abbr) {
        if (abbr.isEmpty() || abbr.equals("UTC") || abbr.equals("GMT") || abbr.equals("Z")) {
            return ZoneOffset.UTC;
        }
        return ZONES.computeIfAbsent(abbr, Timestamps::lookup);
    }

    private static ZoneId lookup(String abbr) {
        char c = abbr.charAt(0);
        if (c == '+' || c == '-') {
            String digits = abbr.substring(1).replace(":", "");
            try {
                int h = Integer.parseInt(digits.length() > 2 ? digits.substring(0, 2) : digits);
                int m = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
                return c == '-' ? ZoneOffset.ofHoursMinutes(-h, -m) : ZoneOffset.ofHoursMinutes(h, m);
            } catch (NumberFormatException | DateTimeException e) {
                return UNKNOWN;
            }
        }
        try {
            return ZoneId.of(abbr, ZoneId.SHORT_IDS);
        } catch (DateTimeException e) {
            // fall through to the JDK's legacy abbreviations (e.g. CET, EET, MET)
        }
        TimeZone tz = TimeZone.getTimeZone(abbr);
        if (!tz.getID().equals("GMT") || abbr.equals("GMT")) {
            return tz.toZoneId();
        }
        return UNKNOWN;
    }
}
