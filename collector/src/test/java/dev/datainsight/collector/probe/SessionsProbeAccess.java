package dev.datainsight.collector.probe;

/** Test access to the package-private text cleaning of {@link SessionsProbe}. */
public final class SessionsProbeAccess {
    private SessionsProbeAccess() {}

    public static String clean(String s, int max) {
        return SessionsProbe.clean(s, max);
    }
}
