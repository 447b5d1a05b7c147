package dev.datainsight.rules.engine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** The stable id of an alert: 16 hex digits of SHA-256 over rule, instance and sorted labels. */
public final class Fingerprint {
    private Fingerprint() {}

    public static String of(String rule, String instance, Map<String, String> labels) {
        return HexFormat.of().formatHex(sha256(key(rule, instance, labels))).substring(0, 16);
    }

    /** Canonical text of (rule, instance, labels); labels sorted by key. */
    public static String key(String rule, String instance, Map<String, String> labels) {
        StringBuilder sb = new StringBuilder(rule).append('\u0000').append(instance);
        for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
            sb.append('\u0000').append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
