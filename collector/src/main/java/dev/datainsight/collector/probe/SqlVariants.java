package dev.datainsight.collector.probe;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * SQL text of one probe keyed by the minimum {@code server_version_num} it applies to; a server
 * gets the variant with the nearest lower (or equal) key. Every variant carries the collector's
 * marker comment and the probe name.
 */
public final class SqlVariants {
    /** Marker comment at the start of every query the collector sends. */
    public static final String MARKER = "/* datainsight-collector */";

    private final NavigableMap<Integer, String> byMinVersion = new TreeMap<>();

    private SqlVariants() {}

    /** Variants for one probe; keys are minimum server_version_num values (130000, 170000, ...). */
    public static SqlVariants of(String probe, Map<Integer, String> variants) {
        SqlVariants v = new SqlVariants();
        variants.forEach((k, sql) -> v.byMinVersion.put(k, tag(probe, sql)));
        return v;
    }

    /** One variant for all supported versions. */
    public static SqlVariants single(String probe, String sql) {
        return of(probe, Map.of(130000, sql));
    }

    /** Prefixes the marker comment and the probe name. */
    public static String tag(String probe, String sql) {
        return MARKER + " /* probe=" + probe + " */ " + sql.strip();
    }

    /** The variant for a server, or null when the server is older than every variant. */
    public String forVersion(int serverVersionNum) {
        Map.Entry<Integer, String> e = byMinVersion.floorEntry(serverVersionNum);
        return e == null ? null : e.getValue();
    }

    /** All variants by minimum version (for docs and tests). */
    public NavigableMap<Integer, String> all() {
        return java.util.Collections.unmodifiableNavigableMap(byMinVersion);
    }
}
